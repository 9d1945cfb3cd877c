package org.diffmmj.model.diffmm;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.Interactions;
import org.diffmmj.diffusion.Denoiser;
import org.diffmmj.diffusion.GaussianDiffusion;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.nn.Tapes;
import org.diffmmj.tensor.TopK;

/**
 * Modality-aware graph generation: every user's interaction row is denoised by the reverse
 * process, the top-k items of the result become that user's edges, and the edge list becomes a
 * normalised bipartite graph with self loops, then edge dropout (section 3).
 */
public final class ModalityGraphGenerator {

    private final GaussianDiffusion diffusion;
    private final int topK;
    private final int batchUsers;

    public ModalityGraphGenerator(GaussianDiffusion diffusion, int topK, int batchUsers) {
        this.diffusion = diffusion;
        this.topK = topK;
        this.batchUsers = batchUsers;
    }

    /**
     * The (user, item) edges: {@code topK} items per user, user-major. DiffMM's denoisers (one
     * hidden layer, input not normalised) run the reverse process in their hidden space
     * ({@link GaussianDiffusion#inHiddenSpace}); others step by step from the sparse rows.
     */
    public int[][] edges(Denoiser denoiser, Interactions train, Tapes tapes) {
        int users = train.users();
        CsrMatrix rows = InteractionGraphs.interactionMatrix(train);
        int[] edgeUsers = new int[users * topK];
        int[] edgeItems = new int[users * topK];
        try (Tape shared = tapes.noGrad()) {
            GaussianDiffusion.HiddenSpaceReverse hiddenSpace = denoiser.hasLinearInputAndReadout()
                    ? diffusion.inHiddenSpace(shared, denoiser) : null;
            for (int start = 0; start < users; start += batchUsers) {
                int size = Math.min(batchUsers, users - start);
                CsrMatrix batch = rows.rowRange(start, start + size);
                try (Tape tape = tapes.noGrad()) {
                    Var denoised = hiddenSpace != null ? hiddenSpace.run(tape, batch)
                            : diffusion.reverse(tape, denoiser, batch, tape.denseRows(rows,
                                    java.util.stream.IntStream.range(start, start + size).toArray()));
                    int[] top = TopK.rows(denoised.value(), topK);
                    for (int r = 0; r < size; r++) {
                        for (int j = 0; j < topK; j++) {
                            edgeUsers[(start + r) * topK + j] = start + r;
                            edgeItems[(start + r) * topK + j] = top[r * topK + j];
                        }
                    }
                }
            }
        }
        return new int[][] {edgeUsers, edgeItems};
    }

    public CsrMatrix generate(Denoiser denoiser, Interactions train, Tapes tapes, float keepRate, Rng rng) {
        int[][] e = edges(denoiser, train, tapes);
        CsrMatrix graph = CsrMatrix.normalizedBipartite(train.users(), train.items(), e[0], e[1]);
        return graph.edgeDropout(keepRate, rng);
    }
}
