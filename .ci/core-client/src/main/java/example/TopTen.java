package example;

import java.nio.file.Path;

import org.diffmmj.io.SavedModel;
import org.diffmmj.recommend.RecommendationService;

/** MODEL_DIR USER: the user's ten best unseen items, one "item TAB score" line each. */
public final class TopTen {
    public static void main(String[] args) throws Exception {
        try (SavedModel model = SavedModel.load(Path.of(args[0]))) {
            for (RecommendationService.ScoredItem s : new RecommendationService(model).recommend(args[1], 10, false)) {
                System.out.printf("%s\t%.6f%n", s.item(), s.score());
            }
        }
    }
}
