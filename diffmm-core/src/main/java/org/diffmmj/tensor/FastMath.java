package org.diffmmj.tensor;

/**
 * float32 exp and tanh for the hot kernels: Cody–Waite range reduction and a degree-6
 * polynomial, relative error below 3e-7 (float32's own rounding is 6e-8), several times cheaper
 * than the double-precision Math functions the element-wise loops would otherwise call.
 */
public final class FastMath {

    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;

    private FastMath() {
    }

    public static float exp(float x) {
        if (x < -87.3f) {
            return 0f;
        }
        if (x > 88.7f) {
            return Float.POSITIVE_INFINITY;
        }
        if (x != x) {
            return x;
        }
        int k = (int) Math.floor(x * LOG2E + 0.5f);
        float r = x - k * LN2_HI - k * LN2_LO;
        float p = 1f + r * (1f + r * (0.5f + r * (1f / 6 + r * (1f / 24 + r * (1f / 120 + r * (1f / 720))))));
        // 2^k in two halves so that k near ±127 does not overflow the exponent field.
        int k1 = k >> 1;
        return p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k - k1 + 127) << 23);
    }

    /** tanh(x) = sign(x)·(1 − 2/(e^{2|x|} + 1)), exact in the limits. */
    public static float tanh(float x) {
        float ax = Math.abs(x);
        if (ax > 9f) {
            return Math.copySign(1f, x);
        }
        if (ax < 1e-4f) {
            return x;
        }
        float t = 1f - 2f / (exp(2f * ax) + 1f);
        return Math.copySign(t, x);
    }

    public static float sigmoid(float x) {
        return x >= 0 ? 1f / (1f + exp(-x)) : exp(x) / (1f + exp(x));
    }
}
