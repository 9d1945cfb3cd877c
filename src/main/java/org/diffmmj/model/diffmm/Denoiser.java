package org.diffmmj.model.diffmm;

import java.util.ArrayList;
import java.util.List;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.model.Init;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

/**
 * One modality's denoiser: predicts x0 from a noisy interaction row x_t and its timestep.
 * h = tanh(Linear([dropout(x), Linear(te)])) through the hidden sizes, then back out to the
 * item count with no activation on the output (DiffRec's MLP, "x0" mean type).
 */
public final class Denoiser {

    private final String modality;
    private final int items;
    private final int timeDim;
    private final float inputDropout;
    private final Parameter embWeight;
    private final Parameter embBias;
    private final List<Parameter> weights = new ArrayList<>();
    private final List<Parameter> biases = new ArrayList<>();
    private final int hiddenLayers;

    public Denoiser(String modality, int items, int[] hidden, int timeDim, float inputDropout, Rng rng) {
        if (hidden.length == 0) {
            throw new IllegalArgumentException("the denoiser needs at least one hidden size");
        }
        this.modality = modality;
        this.items = items;
        this.timeDim = timeDim;
        this.inputDropout = inputDropout;
        this.embWeight = new Parameter(modality + ".denoiser.emb.weight", Init.xavierNormal(timeDim, timeDim, rng));
        this.embBias = new Parameter(modality + ".denoiser.emb.bias", Init.normal(1, timeDim, 0.001f, rng));
        List<int[]> shapes = new ArrayList<>();
        int in = items + timeDim;
        for (int h : hidden) {
            shapes.add(new int[] {in, h});
            in = h;
        }
        for (int k = hidden.length - 2; k >= 0; k--) {
            shapes.add(new int[] {in, hidden[k]});
            in = hidden[k];
        }
        shapes.add(new int[] {in, items});
        hiddenLayers = hidden.length;
        for (int k = 0; k < shapes.size(); k++) {
            int[] s = shapes.get(k);
            weights.add(new Parameter(modality + ".denoiser.layer" + k + ".weight", Init.xavierNormal(s[0], s[1], rng)));
            biases.add(new Parameter(modality + ".denoiser.layer" + k + ".bias", Init.normal(1, s[1], 0.001f, rng)));
        }
    }

    public String modality() {
        return modality;
    }

    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        all.add(embWeight);
        all.add(embBias);
        for (int k = 0; k < weights.size(); k++) {
            all.add(weights.get(k));
            all.add(biases.get(k));
        }
        return all;
    }

    /**
     * The predicted x0 for each row of {@code x}. Dropout on the input only when
     * {@code training} (the authors' {@code mess_dropout}); {@code rng} may be null otherwise.
     */
    public Var forward(Tape tape, Var x, int[] timesteps, boolean training, Rng rng) {
        if (x.cols() != items || x.rows() != timesteps.length) {
            throw new IllegalArgumentException("denoiser input is " + x.rows() + "×" + x.cols() + ", expected "
                    + timesteps.length + "×" + items);
        }
        Tensor te = tape.pool().acquire(timesteps.length, timeDim);
        TimeEmbedding.fill(timesteps, te);
        Var emb = tape.add(tape.matmul(tape.adopt(te), tape.param(embWeight)), tape.param(embBias));
        Var input = training && inputDropout > 0 ? tape.dropout(x, inputDropout, rng) : x;
        Var h = tape.concatCols(input, emb);
        for (int k = 0; k < weights.size(); k++) {
            h = tape.add(tape.matmul(h, tape.param(weights.get(k))), tape.param(biases.get(k)));
            if (k < weights.size() - 1) {
                h = tape.tanh(h);
            }
        }
        return h;
    }

    int hiddenLayers() {
        return hiddenLayers;
    }
}
