package org.diffmmj.model.diffmm;

import java.util.ArrayList;
import java.util.List;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.nn.Init;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

/**
 * Maps one modality's raw item features to the embedding width ("trans"): either a Linear layer
 * F·W + b, or LeakyReLU_0.2(F·W) with a Xavier-initialised W.
 */
public final class ModalityTransform implements AutoCloseable {

    public enum Kind { LINEAR, LEAKY_PROJECTION }

    private final String modality;
    private final Kind kind;
    private final Tensor features;
    private final Parameter weight;
    private final Parameter bias;

    public ModalityTransform(FeatureMatrix raw, int dim, Kind kind, Rng rng) {
        this.modality = raw.name();
        this.kind = kind;
        this.features = Tensor.fromArray(raw.rows(), raw.cols(), raw.data());
        int in = raw.cols();
        if (kind == Kind.LINEAR) {
            weight = new Parameter(modality + ".trans.weight", Init.linearDefault(in, dim, in, rng));
            bias = new Parameter(modality + ".trans.bias", Init.linearDefault(1, dim, in, rng));
        } else {
            weight = new Parameter(modality + ".trans.weight", Init.xavierUniform(in, dim, rng));
            bias = null;
        }
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

    public List<Parameter> parameters() {
        List<Parameter> ps = new ArrayList<>();
        ps.add(weight);
        if (bias != null) {
            ps.add(bias);
        }
        return ps;
    }

    /** G_m = T_m(F_m), items × dim. */
    public Var apply(Tape tape) {
        Var f = tape.constant(features);
        return kind == Kind.LINEAR ? tape.linear(f, tape.param(weight), tape.param(bias))
                : tape.leakyRelu(tape.matmul(f, tape.param(weight)), 0.2f);
    }

    @Override
    public void close() {
        features.close();
    }
}
