package org.diffmmj.model;

import java.util.Map;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.config.Key;
import org.diffmmj.data.Interactions;
import org.diffmmj.eval.ScoreSource;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Linear;
import org.diffmmj.nn.Module;
import org.diffmmj.nn.Tapes;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.BatchSource;
import org.diffmmj.sampling.BatchSources;
import org.diffmmj.sampling.UserBatch;
import org.diffmmj.sparse.CsrMatrix;

/**
 * A test model that scores without embeddings, as DiffRec does: a user's scores are a linear map
 * of their whole interaction row, trained on user rows to reconstruct them (an EASE-like
 * autoencoder). It exists so the contract suite exercises the general score-source and user-row
 * paths of training, checkpoints, evaluation and serving.
 */
final class RowDecoderModel extends Module implements Recommender {

    static final String NAME = "test-row-decoder";

    record Config(@Key(doc = "L2 weight on the decoder", min = 0) float reg) {
        static final Config DEFAULTS = new Config(1e-3f);
    }

    static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "Test-only: scores are a linear map of the user's interaction row (no embeddings)", Config.class,
            Config.DEFAULTS, Map.of(), (config, data, rng) -> new RowDecoderModel(data.train(), config, rng));

    /** Registers the model once, for the tests that iterate over the registry. */
    static synchronized void ensureRegistered() {
        if (!ModelRegistry.contains(NAME)) {
            ModelRegistry.register(DEFINITION);
        }
    }

    private final CsrMatrix rows;
    private final Linear decoder;
    private final Config config;

    private RowDecoderModel(Interactions train, Config config, org.diffmmj.random.Rng rng) {
        this.rows = InteractionGraphs.interactionMatrix(train);
        this.decoder = register(new Linear("decoder", Init.normal(train.items(), train.items(), 0.01f, rng),
                Init.normal(1, train.items(), 0.01f, rng)));
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BatchSource batchSource(Interactions train) {
        return BatchSources.users(train);
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        UserBatch b = batch.as(UserBatch.class);
        Var x = tape.denseRows(rows, b.users());
        Var fit = tape.mean(tape.rowMeanSquaredError(x, decoder.forward(tape, x)));
        Var reg = tape.scale(tape.sum(tape.square(tape.param(decoder.weight()))), config.reg());
        return LossTerms.of(tape.add(fit, reg), "fit", fit, "reg", reg);
    }

    @Override
    public ScoreSource scorer() {
        return new ScoreSource() {
            @Override
            public int items() {
                return rows.cols();
            }

            @Override
            public void score(int[] users, float[] out) {
                Tapes.inference(tape -> {
                    decoder.forward(tape, tape.denseRows(rows, users)).value().copyTo(out, 0);
                    return null;
                });
            }
        };
    }
}
