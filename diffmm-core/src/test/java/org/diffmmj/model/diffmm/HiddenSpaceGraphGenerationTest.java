package org.diffmmj.model.diffmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Tape;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.DatasetLoader;
import org.diffmmj.data.TestData;
import org.diffmmj.diffusion.Denoiser;
import org.diffmmj.diffusion.DiffusionSchedule;
import org.diffmmj.diffusion.GaussianDiffusion;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.TopK;

/**
 * Graph generation on TikTok at trained weights: DiffMM's denoisers after two passes of diffusion
 * training (MSI included), every user's generated edge from the hidden-space reverse process
 * (what {@link ModalityGraphGenerator} runs) against the step-by-step process from the sparse
 * rows (the authors' order of products). They differ in float rounding only, so the top item may
 * flip only where a user's two best items are within that rounding of each other.
 */
class HiddenSpaceGraphGenerationTest {

    @Test
    void generatedEdgesOnTikTokMatchTheStepByStepProcess() throws Exception {
        Dataset data = DatasetLoader.load(TestData.tiktokOrSkip("generatedEdgesOnTikTokMatchTheStepByStepProcess"));
        DiffMMConfig config = DiffMM.DEFINITION.config("tiktok", Map.of());
        Tapes tapes = new Tapes();
        try (DiffMM model = new DiffMM(config, data, new Rng(421))) {
            Rng rng = new Rng(7);
            model.trainDenoisers(tapes, rng);
            model.trainDenoisers(tapes, rng);
            GaussianDiffusion diffusion = new GaussianDiffusion(new DiffusionSchedule(config.steps(),
                    config.noiseScale(), config.noiseMin(), config.noiseMax()));
            ModalityGraphGenerator generator = new ModalityGraphGenerator(diffusion, 1, config.diffusionBatch());
            CsrMatrix rows = InteractionGraphs.interactionMatrix(data.train());
            int users = data.users();
            int items = data.items();
            for (Denoiser denoiser : model.denoisers()) {
                assertThat(denoiser.hasLinearInputAndReadout()).isTrue();
                int[] generated = generator.edges(denoiser, data.train(), tapes)[1];
                int differ = 0;
                int closeCalls = 0;
                double largestGapOfAFlip = 0;
                for (int start = 0; start < users; start += 1024) {
                    int size = Math.min(1024, users - start);
                    int[] batch = java.util.stream.IntStream.range(start, start + size).toArray();
                    try (Tape tape = tapes.noGrad()) {
                        float[] x = diffusion.reverse(tape, denoiser, rows.rowRange(start, start + size),
                                tape.denseRows(rows, batch)).value().toArray();
                        int[] top2 = TopK.rows(x, size, items, 2);
                        for (int r = 0; r < size; r++) {
                            float gap = x[r * items + top2[2 * r]] - x[r * items + top2[2 * r + 1]];
                            closeCalls += gap < 1e-5f ? 1 : 0;
                            if (generated[start + r] != top2[2 * r]) {
                                differ++;
                                largestGapOfAFlip = Math.max(largestGapOfAFlip, gap);
                            }
                        }
                    }
                }
                System.out.printf("hidden-space graph generation, %s: %d of %d users' edge differs from the "
                        + "step-by-step process; %d users' best two items within 1e-5%n",
                        denoiser.modality(), differ, users, closeCalls);
                assertThat(largestGapOfAFlip).as("%s: a flipped edge is a near tie", denoiser.modality())
                        .isLessThan(1e-5);
                assertThat(differ).as(denoiser.modality()).isLessThanOrEqualTo(Math.max(1, users / 1000));
            }
        }
    }
}
