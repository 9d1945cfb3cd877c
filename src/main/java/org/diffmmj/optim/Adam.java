package org.diffmmj.optim;

import java.nio.FloatBuffer;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;

/**
 * Adam as PyTorch computes it: bias-corrected moments, optional L2 weight decay added to the
 * gradient (not decoupled), p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε).
 */
public final class Adam {

    private final List<Parameter> params;
    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<Parameter, Tensor> firstMoments = new IdentityHashMap<>();
    private final Map<Parameter, Tensor> secondMoments = new IdentityHashMap<>();
    private long steps;

    public Adam(List<Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0);
    }

    public Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this.params = List.copyOf(params);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Parameter p : this.params) {
            firstMoments.put(p, Tensor.zeros(p.value().rows(), p.value().cols()));
            secondMoments.put(p, Tensor.zeros(p.value().rows(), p.value().cols()));
        }
    }

    public void zeroGrad() {
        params.forEach(Parameter::zeroGrad);
    }

    public long steps() {
        return steps;
    }

    public List<Parameter> parameters() {
        return params;
    }

    public Tensor m(Parameter p) {
        return firstMoments.get(p);
    }

    public Tensor v(Parameter p) {
        return secondMoments.get(p);
    }

    /** Restores the step count (moments are restored through {@link #m} and {@link #v}). */
    public void setSteps(long steps) {
        this.steps = steps;
    }

    public void step() {
        steps++;
        double bias1 = 1 - Math.pow(beta1, steps);
        double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, steps));
        float stepSize = (float) (lr / bias1);
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float wd = (float) weightDecay;
        float epsF = (float) eps;
        float invBias2Sqrt = (float) (1 / bias2Sqrt);
        for (Parameter p : params) {
            FloatBuffer w = p.value().buffer();
            FloatBuffer g = p.grad().buffer();
            FloatBuffer m = firstMoments.get(p).buffer();
            FloatBuffer v = secondMoments.get(p).buffer();
            int n = (int) p.value().size();
            Parallel.forRange(n, 1 << 15, (from, to) -> {
                for (int i = from; i < to; i++) {
                    float grad = g.get(i) + wd * w.get(i);
                    float mi = b1 * m.get(i) + (1 - b1) * grad;
                    float vi = b2 * v.get(i) + (1 - b2) * grad * grad;
                    m.put(i, mi);
                    v.put(i, vi);
                    w.put(i, w.get(i) - stepSize * mi / ((float) Math.sqrt(vi) * invBias2Sqrt + epsF));
                }
            });
        }
    }
}
