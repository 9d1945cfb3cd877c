package org.diffmmj.diffusion;

import org.diffmmj.tensor.Tensor;

/** Sinusoidal timestep features [cos(t·f_k), sin(t·f_k)], f_k = exp(−ln(10000)·k/half). */
final class TimeEmbedding {

    private TimeEmbedding() {
    }

    /** The embedding of each timestep, one row each (a new tensor the caller owns). */
    static Tensor of(int[] timesteps, int dim) {
        Tensor out = Tensor.zeros(timesteps.length, dim);
        fill(timesteps, out);
        return out;
    }

    static void fill(int[] timesteps, Tensor out) {
        int dim = out.cols();
        int half = dim / 2;
        for (int r = 0; r < timesteps.length; r++) {
            for (int k = 0; k < half; k++) {
                float freq = (float) Math.exp(-Math.log(10000.0) * k / half);
                float arg = timesteps[r] * freq;
                out.set(r, k, (float) Math.cos(arg));
                out.set(r, half + k, (float) Math.sin(arg));
            }
            if (dim % 2 == 1) {
                out.set(r, dim - 1, 0f);
            }
        }
    }
}
