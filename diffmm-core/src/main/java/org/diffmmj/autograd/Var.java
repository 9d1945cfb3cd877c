package org.diffmmj.autograd;

import org.diffmmj.tensor.Tensor;

/** A value recorded on a {@link Tape}, with its gradient once backward has reached it. */
public final class Var {

    final Tensor value;
    final boolean requiresGrad;
    final Parameter parameter;
    Tensor grad;

    Var(Tensor value, boolean requiresGrad, Parameter parameter) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.parameter = parameter;
    }

    public Tensor value() {
        return value;
    }

    /** The gradient, or null when backward did not reach this value. */
    public Tensor grad() {
        return parameter != null ? (requiresGrad ? parameter.grad() : null) : grad;
    }

    public int rows() {
        return value.rows();
    }

    public int cols() {
        return value.cols();
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    @Override
    public String toString() {
        return "Var(" + value.shape() + (requiresGrad ? ", grad" : "") + ")";
    }
}
