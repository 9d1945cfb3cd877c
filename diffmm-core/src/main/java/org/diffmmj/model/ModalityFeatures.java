package org.diffmmj.model;

import java.util.List;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.tensor.Tensor;

/**
 * How the multi-modal baselines (VBPR, LightGCN-M, FREEDOM) take a dataset's item features: every
 * modality the dataset has, in its order ({@link Dataset#modalities()}: the feature files sorted
 * by name), one or more of them. MMRec's models read a fixed pair (v_feat, t_feat); ours read the list.
 */
public final class ModalityFeatures {

    private ModalityFeatures() {
    }

    /** The dataset's modalities in order; a dataset without any is refused with the model's name. */
    public static List<FeatureMatrix> require(Dataset data, String model) {
        if (data.modalities().isEmpty()) {
            throw new IllegalArgumentException(model + " needs at least one item-feature modality; dataset '"
                    + data.name() + "' has none");
        }
        return List.copyOf(data.modalities().values());
    }

    /** One modality's features as an items × width tensor (a copy the caller owns). */
    public static Tensor tensor(FeatureMatrix f) {
        return Tensor.fromArray(f.rows(), f.cols(), f.data());
    }

    /**
     * The modalities' features side by side, items × Σ widths, in the given order (VBPR's
     * {@code torch.cat((t_feat, v_feat), -1)} over any number of modalities).
     */
    public static Tensor concatenated(List<FeatureMatrix> modalities) {
        int rows = modalities.get(0).rows();
        int width = modalities.stream().mapToInt(FeatureMatrix::cols).sum();
        float[] out = new float[rows * width];
        int offset = 0;
        for (FeatureMatrix f : modalities) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(f.data(), r * f.cols(), out, r * width + offset, f.cols());
            }
            offset += f.cols();
        }
        return Tensor.fromArray(rows, width, out);
    }
}
