package org.diffmmj.model.diffmm;

import java.nio.FloatBuffer;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;

/**
 * Forward noising, the training objective (SNR-weighted reconstruction plus modality-aware
 * signal injection) and the deterministic reverse process of DiffMM's graph diffusion.
 */
public final class GaussianDiffusion {

    /** The two loss terms of one modality for one batch, each a 1×1 mean over users. */
    public record Losses(Var diffusion, Var signalInjection) {
    }

    private final DiffusionSchedule schedule;

    public GaussianDiffusion(DiffusionSchedule schedule) {
        this.schedule = schedule;
    }

    public DiffusionSchedule schedule() {
        return schedule;
    }

    /**
     * One batch's losses for one denoiser. {@code x0} is the batch's dense interaction rows,
     * {@code x0ItemEmbeddings} = x0·E_i (shared by all modalities, detached), and
     * {@code modalityFeatures} = G_m (detached).
     */
    public Losses trainingLosses(Tape tape, Denoiser denoiser, Var x0, Var x0ItemEmbeddings,
                                 Var modalityFeatures, Rng rng) {
        int batch = x0.rows();
        int items = x0.cols();
        int[] t = new int[batch];
        Tensor weight = tape.pool().acquire(batch, 1);
        for (int b = 0; b < batch; b++) {
            t[b] = rng.nextInt(schedule.steps());
            weight.set(b, 0, (float) schedule.lossWeight(t[b]));
        }
        Tensor noisy = tape.pool().acquire(batch, items);
        rng.fillNormal(noisy, 0f, 1f);
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
        Var predicted = denoiser.forward(tape, tape.adopt(noisy), t, true, rng);
        Var mse = tape.rowMeanSquaredError(x0, predicted);
        Var diffusion = tape.mean(tape.mul(mse, tape.adopt(weight)));
        Var injected = tape.matmul(predicted, modalityFeatures);
        Var msi = tape.mean(tape.square(tape.sub(injected, x0ItemEmbeddings)));
        return new Losses(diffusion, msi);
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
