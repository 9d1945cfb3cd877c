package org.diffmmj.model.diffmm;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;

/**
 * Floating-point work of one DiffMM epoch per phase, counted from the shapes (2 flops per
 * multiply-add; dense products and sparse propagations only, element-wise work ignored), so a
 * benchmark can report achieved GFLOP/s against the machine's matrix-multiply roofline.
 */
public final class DiffMMWork {

    private DiffMMWork() {
    }

    /** Denoiser forward products for {@code rows} users: [x, emb]·W through the layers. */
    private static double denoiserForward(double rows, int items, DiffMMConfig c) {
        double flops = 0;
        int in = items + c.timeEmbeddingDim();
        // the layers' widths in order: the authors' dims reversed, then back (see Denoiser)
        int[] dims = reversed(c.denoiserDims());
        for (int h : dims) {
            flops += 2 * rows * in * h;
            in = h;
        }
        for (int k = dims.length - 2; k >= 0; k--) {
            flops += 2 * rows * in * dims[k];
            in = dims[k];
        }
        flops += 2 * rows * in * items;
        return flops;
    }

    private static int[] reversed(int[] dims) {
        int[] r = new int[dims.length];
        for (int k = 0; k < dims.length; k++) {
            r[k] = dims[dims.length - 1 - k];
        }
        return r;
    }

    /** The width of the denoiser's first and last hidden layers: the last of the authors' dims. */
    public static int outerWidth(DiffMMConfig c) {
        return c.denoiserDims()[c.denoiserDims().length - 1];
    }

    public static double diffusionTraining(Dataset data, DiffMMConfig c) {
        if (!c.diffusionGraphs()) {
            return 0;
        }
        int m = data.modalities().size();
        double users = data.users();
        int items = data.items();
        double forward = denoiserForward(users, items, c);
        // Backward: a weight gradient per layer plus an input gradient for every layer but the
        // first (the noisy input is a constant), so about 2× the forward less the first layer's.
        double firstLayer = 2 * users * (items + c.timeEmbeddingDim()) * outerWidth(c);
        double backward = 2 * forward - firstLayer;
        // MSI: out·G_m forward and backward, plus x0·E_i once per batch.
        double msi = c.msi() && c.modalityFeatures()
                ? m * 3 * (2 * users * items * c.dim()) + 2 * users * items * c.dim() : 0;
        return m * (forward + backward) + msi;
    }

    /**
     * With one hidden size (DiffMM's denoisers: see {@code GaussianDiffusion.inHiddenSpace}): W_o·W_x
     * and b_o·W_x once, the sparse item term of the interaction rows, a hidden × hidden product per
     * step after the first, and the read-out once. Otherwise every step's denoiser forward, the
     * first counted dense.
     */
    public static double graphGeneration(Dataset data, DiffMMConfig c) {
        if (!c.diffusionGraphs()) {
            return 0;
        }
        int m = data.modalities().size();
        double users = data.users();
        int items = data.items();
        if (c.denoiserDims().length != 1) {
            return m * c.steps() * denoiserForward(users, items, c);
        }
        double h = outerWidth(c);
        double fold = 2 * h * items * h + 2 * items * h;
        double itemTerm = 2.0 * data.train().size() * h;
        double steps = (c.steps() - 1) * 2 * users * h * h;
        double readout = 2 * users * h * items;
        return m * (fold + itemTerm + steps + readout);
    }

    public static double recommendationTraining(Dataset data, DiffMMConfig c, int batch, long graphNnz,
                                                long modalityGraphNnz) {
        int m = data.modalities().size();
        double batches = Math.ceil(data.train().size() / (double) batch);
        double d = c.dim();
        double mainSpmm = m * (2.0 * graphNnz + modalityGraphNnz) + c.gnnLayers() * graphNnz;
        boolean cl = c.cl() && c.sslReg() != 0;
        double clSpmm = cl ? m * (modalityGraphNnz + (double) c.gnnLayers() * graphNnz) : 0;
        double spmm = 2 * d * (mainSpmm + clSpmm) * 3;
        int terms = !cl ? 0 : c.clMethod() == 1 ? m : m * (m - 1) / 2;
        double infoNce = terms * 3 * 2 * d * anchorCandidatePairs(data, batch) / batches;
        double transforms = 0;
        for (var f : c.modalityFeatures() ? data.modalities().values() : List.<FeatureMatrix>of()) {
            transforms += 3 * 2.0 * f.rows() * f.cols() * d;
        }
        return batches * (spmm + infoNce + transforms);
    }

    /**
     * Bytes the recommendation phase must move through memory in one epoch as it is computed
     * (each InfoNCE term materialises its batch × candidates logits; a sparse product streams its
     * dense operand, its output and its pattern), so that its time can be set against the
     * machine's memory bandwidth as well as its matrix-multiply roofline. Counted, per batch:
     * <ul>
     * <li>every InfoNCE term: the logits written by the product (4·B·N bytes), read and written by
     *     the softmax pass (8·B·N), and read by the two gradient products (8·B·N): 20·B·N, with B
     *     the batch's distinct users (or items);</li>
     * <li>every sparse product, forward and its transposed backward: the dense operand read and the
     *     output written (8·n·d each), the pattern read (8·nnz + 4·n);</li>
     * <li>Adam over the embedding tables: parameter, gradient and two moments read, parameter and
     *     moments written (28 bytes per value).</li>
     * </ul>
     * Element-wise ops (normalisation, sums, slices) are left out, so this is a lower bound.
     */
    public static double recommendationTrainingBytes(Dataset data, DiffMMConfig c, int batch, long graphNnz,
                                                     long modalityGraphNnz) {
        int m = data.modalities().size();
        double batches = Math.ceil(data.train().size() / (double) batch);
        double n = data.users() + data.items();
        double d = c.dim();
        boolean cl = c.cl() && c.sslReg() != 0;
        double mainProducts = m * 3.0 + c.gnnLayers();
        double clProducts = cl ? m * (1.0 + c.gnnLayers()) : 0;
        double mainPattern = 8.0 * graphNnz + 4 * n;
        double modalityPattern = 8.0 * modalityGraphNnz + 4 * n;
        double dense = 8 * n * d;
        double sparse = 2 * ((mainProducts + clProducts) * dense
                + (m * 2.0 + c.gnnLayers() + (cl ? m * c.gnnLayers() : 0)) * mainPattern
                + (m + (cl ? m : 0)) * modalityPattern);
        int terms = !cl ? 0 : c.clMethod() == 1 ? m : m * (m - 1) / 2;
        double infoNce = terms * 20.0 * anchorCandidatePairs(data, batch) / batches;
        double adam = 28 * n * d;
        return batches * (sparse + infoNce + adam);
    }

    /**
     * Σ over an epoch's batches of (distinct users · all users + distinct items · all items): the
     * logits one InfoNCE pair computes, since each distinct node is an anchor once. Expected
     * values for batches drawn without replacement from the shuffled interactions: a node of
     * degree k is absent from a batch of b of n interactions with probability
     * Π_{j<b} (n − k − j)/(n − j).
     */
    static double anchorCandidatePairs(Dataset data, int batch) {
        int n = data.train().size();
        int[] userDegrees = userDegrees(data);
        int[] itemDegrees = itemDegrees(data);
        int full = n / batch;
        double pairs = full * (expectedDistinct(userDegrees, n, batch) * data.users()
                + expectedDistinct(itemDegrees, n, batch) * data.items());
        int rest = n - full * batch;
        if (rest > 0) {
            pairs += expectedDistinct(userDegrees, n, rest) * data.users()
                    + expectedDistinct(itemDegrees, n, rest) * data.items();
        }
        return pairs;
    }

    /** The expected number of distinct nodes among b of n interactions, drawn without replacement. */
    static double expectedDistinct(int[] degrees, int n, int b) {
        Map<Integer, Integer> nodesByDegree = new TreeMap<>();
        for (int k : degrees) {
            if (k > 0) {
                nodesByDegree.merge(k, 1, Integer::sum);
            }
        }
        double distinct = 0;
        for (var e : nodesByDegree.entrySet()) {
            int k = e.getKey();
            double absent = 1;
            for (int j = 0; j < b && absent > 0; j++) {
                absent *= Math.max(0, n - k - j) / (double) (n - j);
            }
            distinct += e.getValue() * (1 - absent);
        }
        return distinct;
    }

    private static int[] userDegrees(Dataset data) {
        int[] degrees = new int[data.users()];
        for (int u = 0; u < degrees.length; u++) {
            degrees[u] = data.train().userDegree(u);
        }
        return degrees;
    }

    private static int[] itemDegrees(Dataset data) {
        int[] degrees = new int[data.items()];
        for (int i = 0; i < degrees.length; i++) {
            degrees[i] = data.train().itemDegree(i);
        }
        return degrees;
    }

    public static double evaluation(Dataset data, int dim) {
        double users = data.validation().usersWithInteractions().length + data.test().usersWithInteractions().length;
        return 2 * users * data.items() * dim;
    }
}
