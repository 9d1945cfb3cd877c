package org.diffmmj.data;

/** One modality's item features: a row per item, row-major float32, all finite. */
public final class FeatureMatrix {

    private final String name;
    private final int rows;
    private final int cols;
    private final float[] data;

    public FeatureMatrix(String name, int rows, int cols, float[] data) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a modality needs a name");
        }
        if (rows < 0 || cols <= 0 || data.length != (long) rows * cols) {
            throw new IllegalArgumentException("modality " + name + ": " + data.length + " values for " + rows + "×" + cols);
        }
        for (int k = 0; k < data.length; k++) {
            if (!Float.isFinite(data[k])) {
                throw new IllegalArgumentException("modality " + name + ": non-finite value " + data[k] + " at row "
                        + (k / cols) + ", column " + (k % cols));
            }
        }
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.data = data;
    }

    public String name() {
        return name;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public float[] data() {
        return data;
    }

    public float get(int r, int c) {
        return data[r * cols + c];
    }

    /**
     * Each row divided by max(‖row‖₂, 1e-12), as torch's {@code F.normalize(x, dim=1)} (SLMRec, CLCRec
     * and MMGCL normalise their raw features so); the sum of squares in double.
     */
    public FeatureMatrix rowL2Normalized() {
        float[] v = data.clone();
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += (double) v[r * cols + c] * v[r * cols + c];
            }
            float norm = (float) Math.max(Math.sqrt(s), 1e-12);
            for (int c = 0; c < cols; c++) {
                v[r * cols + c] /= norm;
            }
        }
        return new FeatureMatrix(name, rows, cols, v);
    }
}
