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

    private static final int CHUNK = 4096;

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
                // Chunks are copied to the heap, where this loop compiles to SIMD; same float
                // arithmetic per element as an element-by-element loop, so the same results.
                int size = Math.min(CHUNK, to - from);
                float[] ws = new float[size];
                float[] gs = new float[size];
                float[] ms = new float[size];
                float[] vs = new float[size];
                for (int start = from; start < to; start += CHUNK) {
                    int len = Math.min(CHUNK, to - start);
                    w.get(start, ws, 0, len);
                    g.get(start, gs, 0, len);
                    m.get(start, ms, 0, len);
                    v.get(start, vs, 0, len);
                    for (int i = 0; i < len; i++) {
                        float grad = gs[i] + wd * ws[i];
                        float mi = b1 * ms[i] + (1 - b1) * grad;
                        float vi = b2 * vs[i] + (1 - b2) * grad * grad;
                        ms[i] = mi;
                        vs[i] = vi;
                        ws[i] = ws[i] - stepSize * mi / ((float) Math.sqrt(vi) * invBias2Sqrt + epsF);
                    }
                    w.put(start, ws, 0, len);
                    m.put(start, ms, 0, len);
                    v.put(start, vs, 0, len);
                }
            });
        }
    }
}
