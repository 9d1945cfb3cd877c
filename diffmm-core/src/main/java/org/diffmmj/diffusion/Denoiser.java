package org.diffmmj.diffusion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Linear;
import org.diffmmj.nn.Mlp;
import org.diffmmj.nn.Module;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;

/**
 * DiffRec's denoiser (its {@code DNN}), as DiffMM uses it per modality: predicts x0 from a noisy
 * interaction row x_t and its timestep (or, under DiffRec's eps mean type, the noise).
 * h = tanh(Linear_{I+10→h}([dropout(x), Linear_{10→10}(te(t))])) through the hidden sizes, then
 * back out to the item count with no activation on the output.
 *
 * <p>The first Linear's weight is kept as two blocks, the rows that multiply x and the rows that
 * multiply the time embedding: [x, emb]·W = x·W_x + emb·W_t, without materialising the
 * concatenation. When every row of a batch has the same timestep (graph generation), the time
 * term is one row broadcast over the batch.
 */
public final class Denoiser extends Module {

    private final String modality;
    private final int items;
    private final int timeDim;
    private final float inputDropout;
    private final boolean normalizeInput;
    private final Linear timeLayer;
    private final Parameter firstItemWeight;
    private final Parameter firstTimeWeight;
    private final Parameter firstBias;
    private final Mlp rest;

    /**
     * {@code name} prefixes the parameter names (DiffMM uses the modality's name). {@code dims} are
     * the authors' (DiffRec's) {@code --dims}: out_dims = dims + [items] and in_dims = out_dims
     * reversed, so for dims [a, b] the layers run items+emb → b → a → b → items.
     */
    public Denoiser(String name, int items, int[] dims, int timeDim, float inputDropout, Rng rng) {
        this(name, items, dims, timeDim, inputDropout, false, rng);
    }

    /**
     * With {@code normalizeInput}, each input row is L2-normalised before dropout (the
     * reference DNN's {@code norm}, F.normalize with eps 1e-12).
     */
    public Denoiser(String name, int items, int[] dims, int timeDim, float inputDropout, boolean normalizeInput,
                    Rng rng) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("the denoiser needs at least one hidden size");
        }
        // hidden[0] is the first layer's width; the layers run through hidden and back.
        int[] hidden = new int[dims.length];
        for (int k = 0; k < dims.length; k++) {
            hidden[k] = dims[dims.length - 1 - k];
        }
        this.modality = name;
        this.items = items;
        this.timeDim = timeDim;
        this.inputDropout = inputDropout;
        this.normalizeInput = normalizeInput;
        String prefix = name + ".denoiser.";
        this.timeLayer = register(Linear.xavierNormal(prefix + "emb", timeDim, timeDim, rng));
        // The first layer's weight is N(0, sqrt(2/(fan_in + fan_out))) with fan_in = items + timeDim.
        float firstStd = (float) Math.sqrt(2.0 / (items + timeDim + hidden[0]));
        this.firstItemWeight = parameter(prefix + "layer0.weight.items", Init.normal(items, hidden[0], firstStd, rng));
        this.firstTimeWeight = parameter(prefix + "layer0.weight.time", Init.normal(timeDim, hidden[0], firstStd, rng));
        this.firstBias = parameter(prefix + "layer0.bias", Init.normal(1, hidden[0], 0.001f, rng));
        List<int[]> shapes = new ArrayList<>();
        int in = hidden[0];
        for (int k = 1; k < hidden.length; k++) {
            shapes.add(new int[] {in, hidden[k]});
            in = hidden[k];
        }
        for (int k = hidden.length - 2; k >= 0; k--) {
            shapes.add(new int[] {in, hidden[k]});
            in = hidden[k];
        }
        shapes.add(new int[] {in, items});
        List<Linear> layers = new ArrayList<>();
        for (int k = 0; k < shapes.size(); k++) {
            layers.add(Linear.xavierNormal(prefix + "layer" + (k + 1), shapes.get(k)[0], shapes.get(k)[1], rng));
        }
        this.rest = register(new Mlp(layers, Tape::tanh));
    }

    public String modality() {
        return modality;
    }

    public int items() {
        return items;
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
        boolean shared = Arrays.stream(timesteps).allMatch(t -> t == timesteps[0]);
        int[] embedded = shared ? new int[] {timesteps[0]} : timesteps;
        Var emb = timeLayer.forward(tape, tape.adopt(TimeEmbedding.of(embedded, timeDim)));
        Var normalized = normalizeInput ? tape.rowL2Normalize(x, 1e-12f) : x;
        Var input = training && inputDropout > 0 ? tape.dropout(normalized, inputDropout, rng) : normalized;
        Var timeTerm = tape.linear(emb, tape.param(firstTimeWeight), tape.param(firstBias));
        // A shared timestep gives a 1×h row that the linear layer takes as its bias.
        Var h = shared ? tape.linear(input, tape.param(firstItemWeight), timeTerm)
                : tape.add(tape.linear(input, tape.param(firstItemWeight), null), timeTerm);
        return rest.forward(tape, tape.tanh(h));
    }

    /**
     * {@link #forward} for inference on sparse rows, every row at {@code timestep}: the first
     * layer multiplies only the stored entries (x·W_x as a sparse product, then the time term
     * added), so an interaction row with a few dozen items costs a few dozen row additions rather
     * than a dense product over every item. Same mathematics as {@code forward(dense(x))}; the sums
     * run in another order, so the results agree to float rounding, not bit for bit.
     */
    public Var forwardSparse(Tape tape, CsrMatrix x, int timestep) {
        requireItemColumns(x);
        CsrMatrix input = normalizeInput ? rowL2Normalized(x) : x;
        return rest.forward(tape, hidden(tape, tape.spmm(input, tape.param(firstItemWeight)), timestep));
    }

    /**
     * Whether the input enters only through the linear item term x·W_x and the output is one
     * linear read-out of the first hidden layer: a single hidden size, no input normalisation
     * (dropout is off at inference). Then a reverse step's x ← c1·out + c2·x maps to the next
     * step's item term linearly, which {@link GaussianDiffusion#inHiddenSpace} uses.
     */
    public boolean hasLinearInputAndReadout() {
        return !normalizeInput && rest.layers().size() == 1;
    }

    /** The first layer's item term x·W_x for sparse rows x (not normalised: see {@link #hasLinearInputAndReadout}). */
    public Var itemTerm(Tape tape, CsrMatrix x) {
        requireLinearInputAndReadout();
        requireItemColumns(x);
        return tape.spmm(x, tape.param(firstItemWeight));
    }

    /** The first hidden layer's activations, tanh(itemTerm + emb(t)·W_t + b), every row at {@code timestep}. */
    public Var hidden(Tape tape, Var itemTerm, int timestep) {
        Var emb = timeLayer.forward(tape, tape.adopt(TimeEmbedding.of(new int[] {timestep}, timeDim)));
        Var timeTerm = tape.linear(emb, tape.param(firstTimeWeight), tape.param(firstBias));
        return tape.tanh(tape.add(itemTerm, timeTerm));
    }

    /** The read-out W_o (hidden × items) and its bias b_o, for a denoiser with {@link #hasLinearInputAndReadout}. */
    public Linear readout() {
        requireLinearInputAndReadout();
        return rest.layers().get(0);
    }

    /**
     * The read-out followed by the next step's item term as one hidden → hidden map:
     * (h·W_o + b_o)·W_x = h·(W_o·W_x) + b_o·W_x. Its weight is {@code (hidden × hidden)}, its bias
     * {@code 1 × hidden}.
     */
    public ReadoutIntoInput readoutIntoInput(Tape tape) {
        Linear out = readout();
        Var itemWeight = tape.param(firstItemWeight);
        return new ReadoutIntoInput(tape.matmul(tape.param(out.weight()), itemWeight),
                out.bias() == null ? null : tape.matmul(tape.param(out.bias()), itemWeight));
    }

    /** See {@link #readoutIntoInput}; {@code bias} is null when the read-out has none. */
    public record ReadoutIntoInput(Var weight, Var bias) {
    }

    private void requireItemColumns(CsrMatrix x) {
        if (x.cols() != items) {
            throw new IllegalArgumentException("denoiser input has " + x.cols() + " columns, expected " + items);
        }
    }

    private void requireLinearInputAndReadout() {
        if (!hasLinearInputAndReadout()) {
            throw new IllegalStateException("the " + modality + " denoiser has " + rest.layers().size()
                    + " layers after its first" + (normalizeInput ? " and normalises its input" : "")
                    + ": its input and read-out are not a single linear map each");
        }
    }

    /** F.normalize(x, dim=1, eps=1e-12) on the stored entries (the zeros stay zero). */
    private static CsrMatrix rowL2Normalized(CsrMatrix x) {
        float[] v = x.values().clone();
        int[] ptr = x.rowPtr();
        for (int r = 0; r < x.rows(); r++) {
            double sq = 0;
            for (int e = ptr[r]; e < ptr[r + 1]; e++) {
                sq += (double) v[e] * v[e];
            }
            float norm = (float) Math.max(Math.sqrt(sq), 1e-12);
            for (int e = ptr[r]; e < ptr[r + 1]; e++) {
                v[e] /= norm;
            }
        }
        return x.withValues(v);
    }
}
