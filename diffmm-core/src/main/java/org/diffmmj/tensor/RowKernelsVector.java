package org.diffmmj.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowKernels} on the Vector API. exp uses FastMath's reduction and polynomial, written
 * without branches: x is clamped to −87 (rows are shifted to x ≤ 0, so there is no overflow),
 * k = round(x·log2 e) by the 1.5·2^23 trick, which also leaves k in the float's low bits.
 * Loaded only by {@link RowKernels#best()} when the incubator module is present.
 */
final class RowKernelsVector extends RowKernels {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUNDER = 12582912f; // 1.5 · 2^23
    private static final int ROUNDER_BITS = 0x4B400000;
    private static final float LOWEST = -87f;

    @Override
    public String description() {
        return "vector (" + S.length() + " float lanes)";
    }

    @Override
    public float max(float[] row, int n) {
        int c = 0;
        int bound = S.loopBound(n);
        float max = Float.NEGATIVE_INFINITY;
        if (bound > 0) {
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; c < bound; c += S.length()) {
                m = m.max(FloatVector.fromArray(S, row, c));
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; c < n; c++) {
            max = Math.max(max, row[c]);
        }
        return max;
    }

    @Override
    public double expShiftedSum(float[] row, int n, float shift) {
        int c = 0;
        int bound = S.loopBound(n);
        double sum = 0;
        if (bound > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; c < bound; c += S.length()) {
                FloatVector e = exp(FloatVector.fromArray(S, row, c).sub(shift).max(LOWEST));
                e.intoArray(row, c);
                acc = acc.add(e);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; c < n; c++) {
            float e = FastMath.exp(row[c] - shift);
            row[c] = e;
            sum += e;
        }
        return sum;
    }

    /** e^x for x in [−87, 88]: FastMath's reduction and polynomial, lane-wise. */
    private static FloatVector exp(FloatVector x) {
        FloatVector t = x.mul(LOG2E).add(ROUNDER);
        IntVector k = t.reinterpretAsInts().sub(ROUNDER_BITS);
        FloatVector kf = t.sub(ROUNDER);
        FloatVector r = x.sub(kf.mul(LN2_HI)).sub(kf.mul(LN2_LO));
        FloatVector p = r.mul(1f / 720).add(1f / 120);
        p = p.mul(r).add(1f / 24);
        p = p.mul(r).add(1f / 6);
        p = p.mul(r).add(0.5f);
        p = p.mul(r).add(1f);
        p = p.mul(r).add(1f);
        return p.mul(k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
    }

    /**
     * FastMath.tanh lane-wise: sign(x)·(1 − 2/(e^{2|x|} + 1)), with |x| capped at 9 (where tanh
     * is 1 in float) and x itself below 1e-4.
     */
    @Override
    public void tanh(float[] row, int n) {
        int c = 0;
        int bound = S.loopBound(n);
        for (; c < bound; c += S.length()) {
            FloatVector x = FloatVector.fromArray(S, row, c);
            FloatVector ax = x.abs();
            FloatVector e = exp(ax.min(9f).mul(2f));
            FloatVector t = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
            FloatVector signed = t.blend(t.neg(), x.lt(0f));
            signed.blend(x, ax.lt(1e-4f)).intoArray(row, c);
        }
        for (; c < n; c++) {
            row[c] = FastMath.tanh(row[c]);
        }
    }

    @Override
    public void dropout(float[] mask, float[] x, int n, float p, float keepScale) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector keepVector = FloatVector.broadcast(S, keepScale);
        int c = 0;
        int bound = S.loopBound(n);
        for (; c < bound; c += S.length()) {
            FloatVector keep = zero.blend(keepVector, FloatVector.fromArray(S, mask, c).compare(VectorOperators.GE, p));
            keep.intoArray(mask, c);
            FloatVector.fromArray(S, x, c).mul(keep).intoArray(x, c);
        }
        for (; c < n; c++) {
            float keep = mask[c] >= p ? keepScale : 0f;
            mask[c] = keep;
            x[c] *= keep;
        }
    }

    @Override
    public void leakyRelu(float[] row, int n, float slope) {
        int c = 0;
        int bound = S.loopBound(n);
        for (; c < bound; c += S.length()) {
            FloatVector x = FloatVector.fromArray(S, row, c);
            x.mul(slope).blend(x, x.compare(VectorOperators.GT, 0f)).intoArray(row, c);
        }
        for (; c < n; c++) {
            float x = row[c];
            row[c] = x > 0 ? x : slope * x;
        }
    }

    @Override
    public void leakyReluBackward(float[] x, float[] gy, float[] gx, int n, float slope) {
        FloatVector slopes = FloatVector.broadcast(S, slope);
        FloatVector ones = FloatVector.broadcast(S, 1f);
        int c = 0;
        int bound = S.loopBound(n);
        for (; c < bound; c += S.length()) {
            FloatVector d = slopes.blend(ones, FloatVector.fromArray(S, x, c).compare(VectorOperators.GT, 0f));
            FloatVector.fromArray(S, gx, c).add(FloatVector.fromArray(S, gy, c).mul(d)).intoArray(gx, c);
        }
        for (; c < n; c++) {
            gx[c] += gy[c] * (x[c] > 0 ? 1f : slope);
        }
    }

    @Override
    public void scale(float[] row, int n, float factor) {
        int c = 0;
        int bound = S.loopBound(n);
        for (; c < bound; c += S.length()) {
            FloatVector.fromArray(S, row, c).mul(factor).intoArray(row, c);
        }
        for (; c < n; c++) {
            row[c] *= factor;
        }
    }
    /**
     * Each row's output lanes stay in registers while the row's entries are added in stored
     * order (the scalar loop re-reads and re-writes out[] for every entry): the same additions in
     * the same order, so the same bits. Four vectors of columns at a time, so that a row's
     * indices and values are read once per four vectors and each entry's x row is read in long
     * runs; then single vectors, then scalars for what is left.
     */
    @Override
    public void sparseRows(int[] rowPtr, int[] colIdx, float[] values, float[] x, int d, int from, int to,
                           float[] out) {
        int lanes = S.length();
        int bound = S.loopBound(d);
        int groupBound = d / (4 * lanes) * (4 * lanes);
        for (int i = from; i < to; i++) {
            int o = (i - from) * d;
            int start = rowPtr[i];
            int end = rowPtr[i + 1];
            if (start == end) {
                continue;
            }
            int c = 0;
            for (; c < groupBound; c += 4 * lanes) {
                FloatVector a0 = FloatVector.fromArray(S, out, o + c);
                FloatVector a1 = FloatVector.fromArray(S, out, o + c + lanes);
                FloatVector a2 = FloatVector.fromArray(S, out, o + c + 2 * lanes);
                FloatVector a3 = FloatVector.fromArray(S, out, o + c + 3 * lanes);
                for (int p = start; p < end; p++) {
                    int base = colIdx[p] * d + c;
                    float v = values[p];
                    a0 = a0.add(FloatVector.fromArray(S, x, base).mul(v));
                    a1 = a1.add(FloatVector.fromArray(S, x, base + lanes).mul(v));
                    a2 = a2.add(FloatVector.fromArray(S, x, base + 2 * lanes).mul(v));
                    a3 = a3.add(FloatVector.fromArray(S, x, base + 3 * lanes).mul(v));
                }
                a0.intoArray(out, o + c);
                a1.intoArray(out, o + c + lanes);
                a2.intoArray(out, o + c + 2 * lanes);
                a3.intoArray(out, o + c + 3 * lanes);
            }
            for (; c < bound; c += lanes) {
                FloatVector acc = FloatVector.fromArray(S, out, o + c);
                for (int p = start; p < end; p++) {
                    acc = acc.add(FloatVector.fromArray(S, x, colIdx[p] * d + c).mul(values[p]));
                }
                acc.intoArray(out, o + c);
            }
            for (; c < d; c++) {
                float acc = out[o + c];
                for (int p = start; p < end; p++) {
                    acc += values[p] * x[colIdx[p] * d + c];
                }
                out[o + c] = acc;
            }
        }
    }
}
