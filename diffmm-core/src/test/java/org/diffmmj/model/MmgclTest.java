package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.random.Rng;

/**
 * MMGCL's stochastic parts, by hand: the masking probabilities (keyed by modality, renormalised over the
 * modalities present), the draws each configuration makes, and their frequencies. Losses and gradients at
 * fixed views are pinned in {@code MmgclParityTest}.
 */
class MmgclTest {

    private static final Dataset DATA = TestData.synthetic(36, 28, 11); // image and text

    private static Mmgcl.Config config(String maskP, String task, String variant) {
        Mmgcl.Config d = Mmgcl.Config.DEFAULTS;
        return new Mmgcl.Config(4, d.layerNum(), d.sslAlpha(), d.sslTemp(), d.dropoutRate(), maskP, d.weightDecay(),
                task, variant);
    }

    @Test
    void maskProbabilitiesAreRenormalisedOverThePresentModalities() {
        // their mask_p [0.4, 0.4, 0.2] over (image, text, audio); our TikTok has image and audio
        double[] w = Mmgcl.maskWeights(Mmgcl.Config.parseMaskP(Mmgcl.Config.DEFAULTS.maskP()), List.of("image", "audio"));
        assertThat(w[0]).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(w[1]).isCloseTo(1.0 / 3, within(1e-12));
        try (Mmgcl m = new Mmgcl(DATA, config("image=0.4,text=0.4,audio=0.2", "ED+MM+CN", "paper"), new Rng(1))) {
            assertThat(m.modalities()).containsExactly("image", "text");
            assertThat(m.maskProbabilities()).containsExactly(0.5, 0.5);
        }
    }

    @Test
    void badMaskProbabilitiesAreRefusedWithTheKeyName() {
        assertThatThrownBy(() -> config("image=0.4,text", "ED", "paper")).hasMessageContaining("mask_p");
        assertThatThrownBy(() -> config("image=-1", "ED", "paper")).hasMessageContaining("mask_p");
        assertThatThrownBy(() -> new Mmgcl(DATA, config("image=1,audio=1", "ED", "paper"), new Rng(1)))
                .hasMessageContaining("mask_p has no weight for modality 'text'");
        assertThatThrownBy(() -> new Mmgcl(DATA, config("image=0,text=0", "ED", "paper"), new Rng(1)))
                .hasMessageContaining("no weight");
    }

    @Test
    void eachConfigurationDrawsWhatItUses() {
        int edges = DATA.train().size();
        int kept = (int) (edges * (1 - Mmgcl.Config.DEFAULTS.dropoutRate()));
        try (Mmgcl released = new Mmgcl(DATA, config("image=1,text=1", "ED+MM+CN", "released"), new Rng(1));
             Mmgcl releasedEd = new Mmgcl(DATA, config("image=1,text=1", "ED", "released"), new Rng(1));
             Mmgcl paper = new Mmgcl(DATA, config("image=1,text=1", "ED+MM+CN", "paper"), new Rng(1));
             Mmgcl paperEdMm = new Mmgcl(DATA, config("image=1,text=1", "ED+MM", "paper"), new Rng(1))) {
            Mmgcl.Views v = released.drawViews(new Rng(2));
            assertThat(v.first().nnz()).isEqualTo(2 * kept); // both directions of ⌊E·(1 − rate)⌋ kept edges
            assertThat(v.second()).isNull();
            assertThat(v.masked()).isEqualTo(-1);
            assertThat(v.maskRows()).isNull();
            assertThat(v.negativeModality()).isEqualTo(-1);
            v = releasedEd.drawViews(new Rng(2));
            assertThat(v.second().nnz()).isEqualTo(2 * kept);
            assertThat(v.masked()).isEqualTo(-1);
            v = paper.drawViews(new Rng(2));
            assertThat(v.second()).isNull();
            assertThat(v.masked()).isBetween(0, 1);
            assertThat(v.maskRows()).hasSize(DATA.items() * 4);
            float bound = (float) Math.sqrt(6.0 / (DATA.items() + 4)); // Xavier-uniform, as their tables
            for (float x : v.maskRows()) {
                assertThat(Math.abs(x)).isLessThanOrEqualTo(bound);
            }
            assertThat(v.negativeModality()).isBetween(0, 1);
            v = paperEdMm.drawViews(new Rng(2));
            assertThat(v.masked()).isBetween(0, 1);
            assertThat(v.negativeModality()).isEqualTo(-1);
        }
    }

    @Test
    void maskedAndNegativeModalitiesFollowTheirProbabilities() {
        int n = 4000;
        int[] masked = new int[2];
        int[] negative = new int[2];
        Rng rng = new Rng(5);
        try (Mmgcl m = new Mmgcl(DATA, config("image=0.8,text=0.2,audio=5", "ED+MM+CN", "paper"), new Rng(1))) {
            for (int k = 0; k < n; k++) {
                Mmgcl.Views v = m.drawViews(rng);
                masked[v.masked()]++;
                negative[v.negativeModality()]++;
            }
        }
        // binomial sd at n = 4000: 0.0063 (p = 0.8), 0.0079 (p = 0.5); bounds at about 4 sd
        assertThat(masked[0] / (double) n).isCloseTo(0.8, within(0.026));
        assertThat(negative[0] / (double) n).isCloseTo(0.5, within(0.032));
    }

    @Test
    void aModalityWithoutWeightIsNeverMasked() {
        Rng rng = new Rng(9);
        try (Mmgcl m = new Mmgcl(DATA, config("image=0,text=1", "ED+MM", "paper"), new Rng(1))) {
            for (int k = 0; k < 200; k++) {
                assertThat(m.drawViews(rng).masked()).isEqualTo(1);
            }
        }
    }

    @Test
    void paperVariantGradientsMatchFiniteDifferences() {
        // The contract test checks the default (released) variant; this one the paper's two-view contrast
        // with masking and modality negatives.
        try (Mmgcl m = new Mmgcl(DATA, config("image=0.5,text=0.5", "ED+MM+CN", "paper"), new Rng(3))) {
            BatchGradCheck.check(m, DATA);
        }
    }
}
