package org.diffmmj.autograd;

import org.diffmmj.tensor.Tensor;

/** A trainable tensor that lives outside any tape, with a gradient of the same shape. */
public final class Parameter {

    private final String name;
    private final Tensor value;
    private Tensor grad;

    public Parameter(String name, Tensor value) {
        this.name = name;
        this.value = value;
    }

    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    /** The accumulated gradient (allocated zeroed on first use). */
    public Tensor grad() {
        if (grad == null) {
            grad = Tensor.zeros(value.rows(), value.cols());
        }
        return grad;
    }

    public void zeroGrad() {
        if (grad != null) {
            grad.fill(0f);
        }
    }

    @Override
    public String toString() {
        return "Parameter(" + name + ", " + value.shape() + ")";
    }
}
