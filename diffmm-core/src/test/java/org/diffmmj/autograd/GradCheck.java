package org.diffmmj.autograd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.Function;

import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

/**
 * Finite-difference gradient checks in float32: central differences with step h on every entry
 * of every parameter, compared with the tape's gradient in the max norm,
 * ‖analytic − numeric‖∞ ≤ tol · max(‖numeric‖∞, 1e-2).
 */
public final class GradCheck {

    private GradCheck() {
    }

    /** The loss as a function of parameters, recorded on the given tape. */
    public interface Loss extends Function<Tape, Var> {
    }

    public static double loss(Loss f, BufferPool pool) {
        try (Tape tape = Tape.noGrad(pool)) {
            return f.apply(tape).value().get(0, 0);
        }
    }

    public static void check(List<Parameter> params, Loss f, float h, double tol) {
        BufferPool pool = new BufferPool();
        try {
            params.forEach(Parameter::zeroGrad);
            try (Tape tape = new Tape(pool)) {
                tape.backward(f.apply(tape));
            }
            for (Parameter p : params) {
                Tensor v = p.value();
                float[] analytic = p.grad().toArray();
                float[] numeric = new float[analytic.length];
                for (int i = 0; i < analytic.length; i++) {
                    float orig = v.get(i);
                    v.set(i, orig + h);
                    double plus = loss(f, pool);
                    v.set(i, orig - h);
                    double minus = loss(f, pool);
                    v.set(i, orig);
                    numeric[i] = (float) ((plus - minus) / (2 * h));
                }
                double maxErr = 0;
                double maxNum = 0;
                for (int i = 0; i < analytic.length; i++) {
                    maxErr = Math.max(maxErr, Math.abs(analytic[i] - numeric[i]));
                    maxNum = Math.max(maxNum, Math.abs(numeric[i]));
                }
                assertThat(maxErr).as("gradient of %s: max |analytic - numeric| = %s with max |numeric| = %s",
                        p.name(), maxErr, maxNum).isLessThanOrEqualTo(tol * Math.max(maxNum, 1e-2));
                assertThat(maxNum + maxErr).as("gradient of %s is not all zero", p.name()).isGreaterThan(0);
            }
        } finally {
            pool.clear();
        }
    }
}
