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
}
