package org.diffmmj.model.diffrec;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

/**
 * DiffRec's importance sampling of timesteps (YiyanXu/DiffRec
 * {@code DiffRec/models/gaussian_diffusion.py}: {@code sample_timesteps(method='importance')} and
 * the {@code Lt_history}/{@code Lt_count} update in {@code training_losses}). Each step keeps its
 * last {@value #HISTORY} weighted row losses; until every step has that many, t is uniform with
 * p_t = 1; then t ~ p_t ∝ √mean(L_t²), mixed with {@value #UNIFORM_PROB} of uniform, and the
 * returned weight is p_t·T (the divisor of the row's loss).
 *
 * <p>The history is training state: it lives in two {@link Parameter}s that the model lists as
 * auxiliary parameters, so checkpoints and {@code --resume} carry it. The reference keeps it in
 * float64; the losses recorded here are our float32 row losses, held exactly in float32.
 */
public final class TimestepSampler {

    public static final int HISTORY = 10;
    public static final double UNIFORM_PROB = 0.001;

    /** The drawn timesteps and each one's p_t·T (1 under uniform sampling). */
    public record Draw(int[] t, double[] weight) {
    }

    private final int steps;
    private final Parameter history;
    private final Parameter count;

    public TimestepSampler(String prefix, int steps) {
        this.steps = steps;
        this.history = new Parameter(prefix + "lt_history", Tensor.zeros(steps, HISTORY));
        this.count = new Parameter(prefix + "lt_count", Tensor.zeros(1, steps));
    }

    public Parameter history() {
        return history;
    }

    public Parameter count() {
        return count;
    }

    private int count(int t) {
        return (int) count.value().get(0, t);
    }

    /** Whether every step has a full history (the reference's switch to importance sampling). */
    public boolean full() {
        for (int t = 0; t < steps; t++) {
            if (count(t) != HISTORY) {
                return false;
            }
        }
        return true;
    }

    /** p_t over all steps, in float64 as the reference computes it. */
    public double[] probabilities() {
        double[] p = new double[steps];
        double total = 0;
        Tensor h = history.value();
        for (int t = 0; t < steps; t++) {
            double sq = 0;
            for (int k = 0; k < HISTORY; k++) {
                double v = h.get(t, k);
                sq += v * v;
            }
            p[t] = Math.sqrt(sq / HISTORY);
            total += p[t];
        }
        for (int t = 0; t < steps; t++) {
            p[t] = p[t] / total * (1 - UNIFORM_PROB) + UNIFORM_PROB / steps;
        }
        return p;
    }

    public Draw draw(int n, Rng rng) {
        int[] t = new int[n];
        double[] weight = new double[n];
        if (!full()) {
            for (int b = 0; b < n; b++) {
                t[b] = rng.nextInt(steps);
                weight[b] = 1;
            }
            return new Draw(t, weight);
        }
        double[] p = probabilities();
        double[] cumulative = new double[steps];
        double sum = 0;
        for (int s = 0; s < steps; s++) {
            sum += p[s];
            cumulative[s] = sum;
        }
        for (int b = 0; b < n; b++) {
            // torch.multinomial with replacement: inverse CDF of one uniform draw.
            double u = rng.nextDouble() * sum;
            int s = 0;
            while (s < steps - 1 && cumulative[s] <= u) {
                s++;
            }
            t[b] = s;
            weight[b] = p[s] * steps;
        }
        return new Draw(t, weight);
    }

    /**
     * Appends each row's weighted loss (before division by p_t) to its step's history, in batch
     * order; a full history drops its oldest entry.
     */
    public void record(int[] t, float[] rowLosses) {
        Tensor h = history.value();
        for (int b = 0; b < t.length; b++) {
            int s = t[b];
            int c = count(s);
            if (c == HISTORY) {
                for (int k = 0; k < HISTORY - 1; k++) {
                    h.set(s, k, h.get(s, k + 1));
                }
                h.set(s, HISTORY - 1, rowLosses[b]);
            } else {
                h.set(s, c, rowLosses[b]);
                count.value().set(0, s, c + 1);
            }
        }
    }
}
