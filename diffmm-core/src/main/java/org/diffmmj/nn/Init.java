package org.diffmmj.nn;

import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

/** Weight initialisers with PyTorch's conventions for a 2-D weight of shape rows×cols. */
public final class Init {

    private Init() {
    }

    /**
     * torch.nn.init.xavier_uniform_ on a (rows, cols) tensor: fan_in = cols, fan_out = rows,
     * bound = sqrt(6 / (fan_in + fan_out)). The formula is symmetric, so the layout of the
     * tensor does not matter.
     */
    public static Tensor xavierUniform(int rows, int cols, Rng rng) {
        Tensor t = Tensor.zeros(rows, cols);
        float bound = (float) Math.sqrt(6.0 / (rows + cols));
        rng.fillUniform(t, -bound, bound);
        return t;
    }

    /** N(0, sqrt(2 / (fan_in + fan_out))), DiffRec's denoiser initialisation. */
    public static Tensor xavierNormal(int rows, int cols, Rng rng) {
        Tensor t = Tensor.zeros(rows, cols);
        rng.fillNormal(t, 0f, (float) Math.sqrt(2.0 / (rows + cols)));
        return t;
    }

    public static Tensor normal(int rows, int cols, float std, Rng rng) {
        Tensor t = Tensor.zeros(rows, cols);
        rng.fillNormal(t, 0f, std);
        return t;
    }

    /**
     * nn.Linear's default: weight and bias ~ U(−1/√fan_in, 1/√fan_in). Our weight is stored
     * (fan_in × fan_out) so the forward is x·W.
     */
    public static Tensor linearDefault(int rows, int cols, int fanIn, Rng rng) {
        Tensor t = Tensor.zeros(rows, cols);
        float bound = (float) (1.0 / Math.sqrt(fanIn));
        rng.fillUniform(t, -bound, bound);
        return t;
    }
}
