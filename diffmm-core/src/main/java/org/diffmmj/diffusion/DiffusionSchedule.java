package org.diffmmj.diffusion;

/**
 * The Gaussian diffusion schedule of DiffMM (DiffRec's), in float64 as the authors compute it.
 * Timesteps are 0-based. See section 3 of the algorithm document.
 *
 * <p>DiffMM's constructor fixes β_0 = 1e-4 (HKUDS/DiffMM {@code Model.py}); DiffRec's
 * {@link #diffRec} fixes it to 1e-5 ({@code beta_fixed} in YiyanXu/DiffRec
 * {@code DiffRec/models/gaussian_diffusion.py}) and also offers its plain "linear" schedule.
 */
public final class DiffusionSchedule {

    private final int steps;
    private final double[] betas;
    private final double[] alphasCumprod;
    private final double[] alphasCumprodPrev;
    private final double[] posteriorCoef1;
    private final double[] posteriorCoef2;
    private final double[] posteriorVariance;

    /** DiffMM's schedule: linear-variance, β_0 fixed to 1e-4. */
    public DiffusionSchedule(int steps, double noiseScale, double noiseMin, double noiseMax) {
        this(steps, noiseScale, noiseMin, noiseMax, true, 1e-4);
    }

    /**
     * DiffRec's schedule ({@code GaussianDiffusion.get_betas} with {@code beta_fixed}):
     * {@code linearVariance} is its "linear-var" (1 − ᾱ_t linear from scale·min to scale·max),
     * otherwise "linear" (β_t itself linear); β_0 is then fixed to 1e-5 in both.
     */
    public static DiffusionSchedule diffRec(int steps, double noiseScale, double noiseMin, double noiseMax,
                                            boolean linearVariance) {
        return new DiffusionSchedule(steps, noiseScale, noiseMin, noiseMax, linearVariance, 1e-5);
    }

    private DiffusionSchedule(int steps, double noiseScale, double noiseMin, double noiseMax, boolean linearVariance,
                              double firstBeta) {
        if (steps < 1) {
            throw new IllegalArgumentException("diffusion steps must be >= 1, got " + steps);
        }
        if (!(noiseMin > 0 && noiseMax >= noiseMin && noiseScale > 0)) {
            throw new IllegalArgumentException("need 0 < noise_min <= noise_max and noise_scale > 0");
        }
        this.steps = steps;
        double[] variance = new double[steps];
        for (int t = 0; t < steps; t++) {
            double lin = steps == 1 ? noiseMin : noiseMin + (noiseMax - noiseMin) * t / (steps - 1);
            variance[t] = noiseScale * lin;
        }
        betas = new double[steps];
        betas[0] = variance[0];
        for (int t = 1; t < steps; t++) {
            betas[t] = linearVariance ? Math.min(1 - (1 - variance[t]) / (1 - variance[t - 1]), 0.999) : variance[t];
        }
        // The authors overwrite the first beta after building the list.
        betas[0] = firstBeta;
        alphasCumprod = new double[steps];
        alphasCumprodPrev = new double[steps];
        posteriorCoef1 = new double[steps];
        posteriorCoef2 = new double[steps];
        posteriorVariance = new double[steps];
        double cumprod = 1;
        for (int t = 0; t < steps; t++) {
            alphasCumprodPrev[t] = cumprod;
            cumprod *= 1 - betas[t];
            alphasCumprod[t] = cumprod;
            posteriorCoef1[t] = betas[t] * Math.sqrt(alphasCumprodPrev[t]) / (1 - alphasCumprod[t]);
            posteriorCoef2[t] = (1 - alphasCumprodPrev[t]) * Math.sqrt(1 - betas[t]) / (1 - alphasCumprod[t]);
            posteriorVariance[t] = betas[t] * (1 - alphasCumprodPrev[t]) / (1 - alphasCumprod[t]);
        }
    }

    public int steps() {
        return steps;
    }

    public double beta(int t) {
        return betas[t];
    }

    public double alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    /** c1_t: weight of the predicted x0 in the posterior mean. */
    public double posteriorCoef1(int t) {
        return posteriorCoef1[t];
    }

    /** c2_t: weight of x_t in the posterior mean. */
    public double posteriorCoef2(int t) {
        return posteriorCoef2[t];
    }

    /**
     * exp(½·log σ²_t) of the posterior q(x_{t−1} | x_t, x_0), with DiffRec's clipping: the
     * log-variance of step 0 (a zero variance) is replaced by step 1's.
     */
    public double posteriorStd(int t) {
        return Math.sqrt(posteriorVariance[t == 0 && steps > 1 ? 1 : t]);
    }

    public double snr(int t) {
        return alphasCumprod[t] / (1 - alphasCumprod[t]);
    }

    /** SNR(t−1) − SNR(t), and 1 at t = 0: the diffusion loss weight of a user drawn at step t. */
    public double lossWeight(int t) {
        return t == 0 ? 1.0 : snr(t - 1) - snr(t);
    }
}
