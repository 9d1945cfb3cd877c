package org.diffmmj.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class RowKernelsTest {

    private static List<RowKernels> implementations() {
        return List.of(RowKernels.scalar(), RowKernels.best());
    }

    @Test
    void testsRunTheVectorKernels() {
        // surefire starts the JVM with the incubator module, as the launcher does.
        assertThat(RowKernels.best().description()).startsWith("vector");
    }

    @Test
    void expOfShiftedRowMatchesMathExpToFloatPrecision() {
        Random rnd = new Random(3);
        for (RowKernels k : implementations()) {
            for (int n : new int[] {1, 7, 16, 37, 1000, 9308}) {
                float[] row = new float[n];
                for (int c = 0; c < n; c++) {
                    row[c] = (rnd.nextFloat() * 2 - 1) * 30f;
                }
                float shift = k.max(row, n);
                float[] original = row.clone();
                double sum = k.expShiftedSum(row, n, shift);
                double expected = 0;
                for (int c = 0; c < n; c++) {
                    double e = Math.exp(original[c] - shift); // the float difference is the kernel's input
                    expected += e;
                    assertThat((double) row[c]).as("%s n=%d c=%d x=%f", k.description(), n, c, original[c] - shift)
                            .isCloseTo(e, offset(Math.max(1e-37, 5e-7 * e)));
                }
                assertThat(sum).isCloseTo(expected, offset(1e-6 * expected));
            }
        }
    }

    @Test
    void hardCases() {
        for (RowKernels k : implementations()) {
            float[] row = new float[33];
            java.util.Arrays.fill(row, -200f); // far below the shift: e^-200 underflows
            row[5] = 0f;
            row[32] = -1f;
            double sum = k.expShiftedSum(row, 33, 0f);
            assertThat(row[5]).isEqualTo(1f);
            assertThat((double) row[32]).isCloseTo(Math.exp(-1), offset(1e-7));
            assertThat(row[0]).isBetween(0f, 1e-37f);
            assertThat(sum).isCloseTo(1 + Math.exp(-1), offset(1e-6));

            float[] withNan = {0f, Float.NaN, -1f};
            assertThat(Double.isNaN(k.expShiftedSum(withNan, 3, 0f))).as(k.description()).isTrue();
        }
    }

    @Test
    void tanhMatchesMath() {
        for (RowKernels k : implementations()) {
            int n = 4001;
            float[] row = new float[n];
            for (int c = 0; c < n; c++) {
                row[c] = (c - 2000) * 0.006f; // -12 .. 12, through 0 and the small-x branch
            }
            row[7] = 5e-5f;
            row[8] = -5e-5f;
            row[9] = Float.NaN;
            float[] x = row.clone();
            k.tanh(row, n);
            for (int c = 0; c < n; c++) {
                if (c == 9) {
                    assertThat(Float.isNaN(row[c])).as(k.description()).isTrue();
                    continue;
                }
                assertThat((double) row[c]).as("%s tanh(%f)", k.description(), x[c])
                        .isCloseTo(Math.tanh(x[c]), offset(3e-7 + 3e-7 * Math.abs(Math.tanh(x[c]))));
            }
            assertThat(row[7]).isEqualTo(5e-5f);
        }
    }

    @Test
    void dropoutKeepsDrawsAtOrAboveTheRateScaledAndZeroesTheRest() {
        for (RowKernels k : implementations()) {
            for (int n : new int[] {1, 5, 16, 37, 1000}) {
                float[] mask = new float[n];
                float[] x = new float[n];
                for (int c = 0; c < n; c++) {
                    mask[c] = (c % 4) * 0.25f; // 0, 0.25, 0.5 (exactly the rate: kept), 0.75
                    x[c] = c + 1f;
                }
                k.dropout(mask, x, n, 0.5f, 2f);
                for (int c = 0; c < n; c++) {
                    boolean kept = c % 4 >= 2;
                    assertThat(mask[c]).as("%s mask[%d] of %d", k.description(), c, n).isEqualTo(kept ? 2f : 0f);
                    assertThat(x[c]).as("%s x[%d] of %d", k.description(), c, n).isEqualTo(kept ? 2f * (c + 1) : 0f);
                }
            }
        }
    }

    @Test
    void maxAndScale() {
        for (RowKernels k : implementations()) {
            float[] row = new float[41];
            for (int c = 0; c < row.length; c++) {
                row[c] = (c * 37 % 41) - 20f; // a permutation of -20..20
            }
            assertThat(k.max(row, 41)).isEqualTo(20f);
            assertThat(k.max(row, 3)).isEqualTo(Math.max(row[0], Math.max(row[1], row[2])));
            k.scale(row, 41, 0.5f);
            assertThat(row[1]).isEqualTo(((37 % 41) - 20f) * 0.5f);
            assertThat(k.max(row, 41)).isEqualTo(10f);
        }
    }

    @Test
    void leakyReluAndItsBackwardAreTheirPerElementFormulasBitForBit() {
        Random rnd = new Random(5);
        float slope = 0.01f;
        for (RowKernels k : implementations()) {
            for (int n : new int[] {1, 7, 16, 37, 4099}) {
                float[] x = new float[n];
                float[] gy = new float[n];
                float[] gx = new float[n];
                for (int c = 0; c < n; c++) {
                    x[c] = (rnd.nextFloat() * 2 - 1) * 3f;
                    gy[c] = rnd.nextFloat() * 2 - 1;
                    gx[c] = rnd.nextFloat() * 2 - 1;
                }
                x[0] = 0f;
                if (n > 3) {
                    x[1] = -0f;
                    x[2] = Float.NaN;
                    x[3] = Float.MIN_VALUE;
                }
                float[] y = x.clone();
                k.leakyRelu(y, n, slope);
                float[] g = gx.clone();
                k.leakyReluBackward(x, gy, g, n, slope);
                for (int c = 0; c < n; c++) {
                    float expected = x[c] > 0 ? x[c] : slope * x[c];
                    assertThat(Float.floatToRawIntBits(y[c])).as("%s y[%d] of %d, x=%s", k.description(), c, n, x[c])
                            .isEqualTo(Float.floatToRawIntBits(expected));
                    float expectedGrad = gx[c] + gy[c] * (x[c] > 0 ? 1f : slope);
                    assertThat(g[c]).as("%s gx[%d] of %d", k.description(), c, n).isEqualTo(expectedGrad);
                }
            }
            // By hand: slope 0.1 on [−2, 0, 3, −0.5]; gradient 1 upstream onto gx = 1.
            float[] row = {-2f, 0f, 3f, -0.5f};
            k.leakyRelu(row, 4, 0.1f);
            assertThat(row).containsExactly(-0.2f, 0f, 3f, -0.05f);
            float[] grad = {1f, 1f, 1f, 1f};
            k.leakyReluBackward(new float[] {-2f, 0f, 3f, -0.5f}, new float[] {1f, 1f, 1f, 1f}, grad, 4, 0.1f);
            assertThat(grad).containsExactly(1.1f, 1.1f, 2f, 1.1f);
        }
    }

    @Test
    void fastMathAgainstMath() {
        for (float x = -20f; x <= 20f; x += 0.013f) {
            assertThat((double) FastMath.exp(x)).isCloseTo(Math.exp(x), offset(4e-7 * Math.exp(x)));
            assertThat((double) FastMath.tanh(x)).isCloseTo(Math.tanh(x), offset(1e-6));
            assertThat((double) FastMath.sigmoid(x)).isCloseTo(1 / (1 + Math.exp(-x)), offset(1e-6));
        }
        assertThat(FastMath.exp(-100f)).isEqualTo(0f);
        assertThat(FastMath.exp(100f)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void sparseRowsHandCase() {
        // [[2, 0, 1], [0, 0, 0], [0, -1, 0]] · [[1, 2], [3, 4], [5, 6]], added to out = [[1, 1], [0, 0], [0.5, 0]]
        int[] rowPtr = {0, 2, 2, 3};
        int[] colIdx = {0, 2, 1};
        float[] values = {2f, 1f, -1f};
        float[] x = {1, 2, 3, 4, 5, 6};
        for (RowKernels k : implementations()) {
            float[] out = {1, 1, 0, 0, 0.5f, 0};
            k.sparseRows(rowPtr, colIdx, values, x, 2, 0, 3, out);
            assertThat(out).as(k.description()).containsExactly(8f, 11f, 0f, 0f, -2.5f, -4f);
            float[] tail = {0, 0};
            k.sparseRows(rowPtr, colIdx, values, x, 2, 2, 3, tail); // rows [2, 3) only, written from 0
            assertThat(tail).containsExactly(-3f, -4f);
        }
    }

    @Test
    void sparseRowsGiveTheBitsOfTheOneEntryAtATimeLoop() {
        Random rnd = new Random(11);
        int rows = 50;
        int cols = 40;
        int[] rowPtr = new int[rows + 1];
        int[] colIdx = new int[rows * 12];
        float[] values = new float[rows * 12];
        int nnz = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                if (rnd.nextInt(4) == 0 && nnz < colIdx.length) {
                    colIdx[nnz] = j;
                    values[nnz++] = (float) rnd.nextGaussian();
                }
            }
            rowPtr[i + 1] = nnz;
        }
        for (int d : new int[] {1, 3, 8, 16, 40, 64, 67, 96, 136}) {
            float[] x = new float[cols * d];
            for (int q = 0; q < x.length; q++) {
                x[q] = (float) rnd.nextGaussian() * 10f;
            }
            float[] start = new float[rows * d];
            for (int q = 0; q < start.length; q++) {
                start[q] = (float) rnd.nextGaussian();
            }
            float[] expected = start.clone();
            for (int i = 0; i < rows; i++) {
                for (int p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
                    for (int c = 0; c < d; c++) {
                        expected[i * d + c] = expected[i * d + c] + values[p] * x[colIdx[p] * d + c];
                    }
                }
            }
            for (RowKernels k : implementations()) {
                float[] out = start.clone();
                k.sparseRows(rowPtr, colIdx, values, x, d, 0, rows, out);
                assertThat(out).as("%s d=%d", k.description(), d).containsExactly(expected);
            }
        }
    }
}
