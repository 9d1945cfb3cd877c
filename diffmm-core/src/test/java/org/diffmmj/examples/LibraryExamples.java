package org.diffmmj.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.diffmmj.data.DataFormat;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.DatasetLoader;
import org.diffmmj.data.InteractionLogSplitter;
import org.diffmmj.io.SavedModel;
import org.diffmmj.model.ModelDefinition;
import org.diffmmj.model.ModelRegistry;
import org.diffmmj.model.Recommender;
import org.diffmmj.random.Rng;
import org.diffmmj.recommend.RecommendationService;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;
import org.diffmmj.train.TrainingHistory;

/**
 * The examples of docs/library.md, compiled and run by the build ({@code LibraryExamplesTest}
 * also checks that the document quotes them as they are here).
 */
public final class LibraryExamples {

    private LibraryExamples() {
    }

    /** {@code MODEL_FILE USER}: prints the user's top ten as "item TAB score" lines. */
    public static void main(String[] args) throws IOException {
        for (RecommendationService.ScoredItem s : topTen(Path.of(args[0]), args[1])) {
            System.out.printf("%s\t%.6f%n", s.item(), s.score());
        }
    }

    // example: data
    /** From a raw log (user,item,rating,timestamp) to a dataset directory the trainer reads. */
    public static Dataset splitLog(Path log, Path dataDir) throws IOException {
        InteractionLogSplitter.Result split = new InteractionLogSplitter().minRating(4.0).kCore(5)
                .strategy(InteractionLogSplitter.Strategy.TEMPORAL).ratios(0.8, 0.1, 0.1).split(log);
        System.out.println(split.stats().asMap());
        DatasetLoader.write(split.dataset(), dataDir, DataFormat.CSV);
        return DatasetLoader.load(dataDir);
    }
    // end

    // example: training
    /** Trains LightGCN on a dataset directory and saves the validation-selected model. */
    public static Path trainAndSave(Path dataDir, Path modelFile) throws IOException {
        Dataset data = DatasetLoader.load(dataDir);
        ModelDefinition<?> lightgcn = ModelRegistry.get("lightgcn");
        Record config = lightgcn.config(null, Map.of("dim", 32, "layers", 2));
        TrainingConfig training = TrainingConfig.builder().epochs(5).batchSize(256).seed(7).build();
        try (Recommender model = lightgcn.create(config, data, new Rng(training.seed()))) {
            TrainingHistory history = new Trainer(training).fit(model, data, Map.of(), (epoch, h, m) -> {
                if (epoch.evaluated() && h.bestValidationEpoch() == epoch) {
                    SavedModel.save(modelFile, m, config, data, dataDir, epoch.epoch(), epoch.val());
                }
            });
            System.out.println("test recall@20 at the best validation epoch: "
                    + history.bestValidationEpoch().test().get("recall@20"));
        }
        return modelFile;
    }
    // end

    // example: inference
    /** The ten best unseen items for a user, in the data's own ids, from a saved model. */
    public static List<RecommendationService.ScoredItem> topTen(Path modelFile, String userId) throws IOException {
        try (SavedModel model = SavedModel.load(modelFile)) {
            RecommendationService service = new RecommendationService(model);
            return service.recommend(userId, 10, false);
        }
    }
    // end
}
