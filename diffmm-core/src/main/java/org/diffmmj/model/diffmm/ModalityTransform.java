package org.diffmmj.model.diffmm;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.nn.Linear;
import org.diffmmj.nn.Module;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

/**
 * Maps one modality's raw item features to the embedding width ("trans"): either a Linear layer
 * F·W + b, or LeakyReLU_0.2(F·W) with a Xavier-initialised W (parameters {@code MODALITY.trans.*}).
 */
public final class ModalityTransform extends Module implements AutoCloseable {

    public enum Kind { LINEAR, LEAKY_PROJECTION }

    private final String modality;
    private final Kind kind;
    private final Tensor features;
    private final Linear layer;

    public ModalityTransform(FeatureMatrix raw, int dim, Kind kind, Rng rng) {
        this.modality = raw.name();
        this.kind = kind;
        this.features = Tensor.fromArray(raw.rows(), raw.cols(), raw.data());
        int in = raw.cols();
        String name = modality + ".trans";
        this.layer = register(kind == Kind.LINEAR ? Linear.pytorchDefault(name, in, dim, rng)
                : Linear.xavierUniformNoBias(name, in, dim, rng));
    }

    /** The authors' trans switch: 0 all leaky projections, 1 all Linear, 2 Linear for text only. */
    public static Kind kindFor(int trans, String modality) {
        return switch (trans) {
            case 0 -> Kind.LEAKY_PROJECTION;
            case 1 -> Kind.LINEAR;
            case 2 -> modality.equals("text") ? Kind.LINEAR : Kind.LEAKY_PROJECTION;
            default -> throw new IllegalArgumentException("trans must be 0, 1 or 2, got " + trans);
        };
    }

    public String modality() {
        return modality;
    }

    /** G_m = T_m(F_m), items × dim. */
    public Var apply(Tape tape) {
        Var projected = layer.forward(tape, tape.constant(features));
        return kind == Kind.LINEAR ? projected : tape.leakyRelu(projected, 0.2f);
    }

    @Override
    public void close() {
        features.close();
    }
}
