package org.diffmmj.diffusion;

import java.nio.FloatBuffer;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;

/**
 * Gaussian diffusion over interaction rows as DiffRec (Wang et al., SIGIR 2023) and DiffMM use
 * it: forward noising q(x_t | x_0), the SNR-weighted x0-reconstruction objective, and the
 * deterministic reverse process. Model-specific terms (DiffMM's modality signal injection) are
 * built by the model from {@link Training#predicted()}.
 */
public final class GaussianDiffusion {

    /** One batch's denoiser output x̂_0 and its weighted reconstruction loss (a 1×1 mean over rows). */
    public record Training(Var predicted, Var loss) {
    }

    private final DiffusionSchedule schedule;

    public GaussianDiffusion(DiffusionSchedule schedule) {
        this.schedule = schedule;
    }

    public DiffusionSchedule schedule() {
        return schedule;
    }

    /**
     * One batch's reconstruction loss for one denoiser: t ~ U{0..T−1} per row, x_t from q(x_t | x_0),
     * loss = mean_b w(t_b)·mean_i (x0 − x̂_0)², {@code x0} the batch's dense interaction rows.
     */
    public Training trainingLoss(Tape tape, Denoiser denoiser, Var x0, Rng rng) {
        int batch = x0.rows();
        int[] t = new int[batch];
        for (int b = 0; b < batch; b++) {
            t[b] = rng.nextInt(schedule.steps());
        }
        Tensor noisy = tape.pool().acquire(batch, x0.cols());
        rng.fillNormal(noisy, 0f, 1f);
        return lossAt(tape, denoiser, x0, t, noisy, true, rng);
    }

    /**
     * The same loss at given timesteps and noise (batch × items), e.g. to compare with a reference
     * implementation; input dropout only when {@code dropout}, drawn from {@code rng}.
     */
    public Training trainingLoss(Tape tape, Denoiser denoiser, Var x0, int[] t, Tensor noise, boolean dropout,
                                 Rng rng) {
        if (t.length != x0.rows() || noise.rows() != x0.rows() || noise.cols() != x0.cols()) {
            throw new IllegalArgumentException("timesteps/noise do not match the " + x0.rows() + "×" + x0.cols()
                    + " batch");
        }
        Tensor noisy = tape.pool().acquire(x0.rows(), x0.cols());
        noisy.copyFrom(noise);
        return lossAt(tape, denoiser, x0, t.clone(), noisy, dropout, rng);
    }

    /** {@code noisy} holds the noise on entry and x_t after; it is adopted by the tape. */
    private Training lossAt(Tape tape, Denoiser denoiser, Var x0, int[] t, Tensor noisy, boolean dropout, Rng rng) {
        int batch = x0.rows();
        int items = x0.cols();
        Tensor weight = tape.pool().acquire(batch, 1);
        for (int b = 0; b < batch; b++) {
            weight.set(b, 0, (float) schedule.lossWeight(t[b]));
        }
        FloatBuffer xs = x0.value().buffer();
        FloatBuffer xt = noisy.buffer();
        Parallel.forRange(batch, 16, (from, to) -> {
            float[] x0Row = new float[items];
            float[] row = new float[items];
            for (int b = from; b < to; b++) {
                float signal = (float) Math.sqrt(schedule.alphaCumprod(t[b]));
                float noise = (float) Math.sqrt(1 - schedule.alphaCumprod(t[b]));
                int base = b * items;
                xs.get(base, x0Row, 0, items);
                xt.get(base, row, 0, items);
                for (int i = 0; i < items; i++) {
                    row[i] = signal * x0Row[i] + noise * row[i];
                }
                xt.put(base, row, 0, items);
            }
        });
        Var predicted = denoiser.forward(tape, tape.adopt(noisy), t, dropout, rng);
        Var mse = tape.rowMeanSquaredError(x0, predicted);
        return new Training(predicted, tape.mean(tape.mul(mse, tape.adopt(weight))));
    }

    /**
     * The deterministic reverse process from x_T = x0 (sampling_steps = 0, no sampling noise):
     * for t = T−1..0, x ← c1_t·denoiser(x, t) + c2_t·x. Run on a no-grad tape.
     */
    public Var reverse(Tape tape, Denoiser denoiser, Var x0) {
        Var x = x0;
        int[] t = new int[x0.rows()];
        for (int step = schedule.steps() - 1; step >= 0; step--) {
            java.util.Arrays.fill(t, step);
            Var predicted = denoiser.forward(tape, x, t, false, null);
            x = tape.affine(predicted, (float) schedule.posteriorCoef1(step), x, (float) schedule.posteriorCoef2(step));
        }
        return x;
    }
}
