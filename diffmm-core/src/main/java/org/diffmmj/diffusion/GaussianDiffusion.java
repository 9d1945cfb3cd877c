package org.diffmmj.diffusion;


import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
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
        Var noise = tape.normal(batch, x0.cols(), rng);
        return lossAt(tape, denoiser, x0, t, noise, true, rng);
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
        return lossAt(tape, denoiser, x0, t.clone(), tape.constant(noise), dropout, rng);
    }

    private Training lossAt(Tape tape, Denoiser denoiser, Var x0, int[] t, Var noise, boolean dropout, Rng rng) {
        int batch = x0.rows();
        float[] weight = new float[batch];
        for (int b = 0; b < batch; b++) {
            weight[b] = (float) schedule.lossWeight(t[b]);
        }
        Training rows = rowLosses(tape, denoiser, x0, t, noise, weight, dropout, rng);
        return new Training(rows.predicted(), tape.mean(rows.loss()));
    }

    /**
     * Per-row losses w_b·mean_i (x0 − x̂_0)² (a batch×1 column, in {@link Training#loss()}) at given
     * timesteps, noise and row weights: DiffRec divides them by its importance-sampling
     * probabilities and keeps them as its loss history before taking the mean.
     */
    public Training rowLosses(Tape tape, Denoiser denoiser, Var x0, int[] t, Var noise, float[] weight,
                              boolean dropout, Rng rng) {
        int batch = x0.rows();
        float[] signal = new float[batch];
        float[] spread = new float[batch];
        for (int b = 0; b < batch; b++) {
            signal[b] = (float) Math.sqrt(schedule.alphaCumprod(t[b]));
            spread[b] = (float) Math.sqrt(1 - schedule.alphaCumprod(t[b]));
        }
        // q(x_t | x_0): x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε, one coefficient per row.
        Var xt = tape.rowAffine(x0, signal, noise, spread);
        Var predicted = denoiser.forward(tape, xt, t, dropout, rng);
        Var mse = tape.rowMeanSquaredError(x0, predicted);
        return new Training(predicted, tape.mul(mse, tape.constant(batch, 1, weight)));
    }

    /**
     * The deterministic reverse process from x_T = x0 (sampling_steps = 0, no sampling noise):
     * for t = T−1..0, x ← c1_t·denoiser(x, t) + c2_t·x. Run on a no-grad tape.
     */
    public Var reverse(Tape tape, Denoiser denoiser, Var x0) {
        Var x = x0;
        for (int step = schedule.steps() - 1; step >= 0; step--) {
            x = posteriorMean(tape, denoiser, x, step);
        }
        return x;
    }

    /**
     * {@link #reverse} with x0 also given as sparse rows ({@code x0Rows}, the same matrix as
     * {@code x0}): the first step, the only one whose input is still the sparse interaction row,
     * takes the denoiser's first layer as a sparse product ({@link Denoiser#forwardSparse}). Equal to
     * {@code reverse(x0)} up to float rounding.
     */
    public Var reverse(Tape tape, Denoiser denoiser, CsrMatrix x0Rows, Var x0) {
        if (x0Rows.rows() != x0.rows() || x0Rows.cols() != x0.cols()) {
            throw new IllegalArgumentException("sparse rows " + x0Rows.rows() + "×" + x0Rows.cols() + " for x0 "
                    + x0.rows() + "×" + x0.cols());
        }
        int first = schedule.steps() - 1;
        Var predicted = denoiser.forwardSparse(tape, x0Rows, first);
        Var x = tape.affine(predicted, (float) schedule.posteriorCoef1(first), x0, (float) schedule.posteriorCoef2(first));
        for (int step = first - 1; step >= 0; step--) {
            x = posteriorMean(tape, denoiser, x, step);
        }
        return x;
    }

    /**
     * The reverse process of {@link #reverse(Tape, Denoiser, CsrMatrix, Var)} carried in the
     * denoiser's hidden space, for a denoiser with {@link Denoiser#hasLinearInputAndReadout}. A
     * step x ← c1_t·(h_t·W_o + b_o) + c2_t·x enters the next step only through its item term
     * u = x·W_x, so u ← c1_t·(h_t·(W_o·W_x) + b_o·W_x) + c2_t·u: one hidden × hidden product per
     * step instead of two with the item count as a side (TikTok: 1,000 × 1,000 against 6,720 ×
     * 1,000 and 1,000 × 6,710). The last step's c2_0 is 0 (ᾱ_{−1} = 1), so the final x is
     * c1_0·(h_0·W_o + b_o) and the read-out runs once. The same mathematics as the step-by-step
     * process; the products are associated differently, so the results agree to float rounding.
     * W_o·W_x is computed once here, on {@code tape}, which must stay open while the returned
     * process runs; the denoiser's weights must not change meanwhile.
     */
    public HiddenSpaceReverse inHiddenSpace(Tape tape, Denoiser denoiser) {
        if (schedule.posteriorCoef2(0) != 0) {
            throw new IllegalStateException("the last reverse step keeps c2_0 = " + schedule.posteriorCoef2(0)
                    + " of its input; the hidden-space process assumes 0");
        }
        return new HiddenSpaceReverse(denoiser, denoiser.readoutIntoInput(tape));
    }

    /** See {@link #inHiddenSpace}. */
    public final class HiddenSpaceReverse {

        private final Denoiser denoiser;
        private final Denoiser.ReadoutIntoInput next;

        private HiddenSpaceReverse(Denoiser denoiser, Denoiser.ReadoutIntoInput next) {
            this.denoiser = denoiser;
            this.next = next;
        }

        /** The reverse process's final x for the sparse rows {@code x0} (x_T = x0: sampling_steps = 0). */
        public Var run(Tape tape, CsrMatrix x0) {
            Var itemTerm = denoiser.itemTerm(tape, x0);
            for (int step = schedule.steps() - 1; step > 0; step--) {
                Var mapped = tape.linear(denoiser.hidden(tape, itemTerm, step), next.weight(), next.bias());
                itemTerm = tape.affine(mapped, (float) schedule.posteriorCoef1(step), itemTerm,
                        (float) schedule.posteriorCoef2(step));
            }
            Var out = denoiser.readout().forward(tape, denoiser.hidden(tape, itemTerm, 0));
            float last = (float) schedule.posteriorCoef1(0);
            return last == 1f ? out : tape.scale(out, last);
        }
    }

    /**
     * One reverse step's mean with every row at timestep {@code step}: c1·denoiser(x, step) + c2·x
     * (x0 mean type, no dropout).
     */
    public Var posteriorMean(Tape tape, Denoiser denoiser, Var x, int step) {
        int[] t = new int[x.rows()];
        java.util.Arrays.fill(t, step);
        Var predicted = denoiser.forward(tape, x, t, false, null);
        return tape.affine(predicted, (float) schedule.posteriorCoef1(step), x, (float) schedule.posteriorCoef2(step));
    }
}
