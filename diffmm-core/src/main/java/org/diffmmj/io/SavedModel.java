package org.diffmmj.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.IdMapping;
import org.diffmmj.data.Interactions;
import org.diffmmj.data.DatasetLoader;
import org.diffmmj.data.DefaultData;
import org.diffmmj.eval.ScoreSource;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.ModelDefinition;
import org.diffmmj.model.ModelRegistry;
import org.diffmmj.model.Recommender;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

/**
 * A trained model as saved by {@code train --out}: its registry name and resolved config, the
 * dataset fingerprint, the id mappings, the training interactions (to exclude seen items when
 * recommending) and every parameter. A dot-product model also keeps its final user and item
 * embeddings, so scoring and serving need no graph work; any other model is rebuilt from its name,
 * config and parameters and scores through its own {@link ScoreSource}.
 */
public final class SavedModel implements AutoCloseable {

    public static final String FILE_NAME = "model.ckpt";
    private static final String USERS = "final.user_embeddings";
    private static final String ITEMS = "final.item_embeddings";
    private static final String SCORES_EMBEDDINGS = "embeddings";
    private static final String SCORES_MODEL = "model";

    private final Checkpoint checkpoint;
    private final IdMapping userIds;
    private final IdMapping itemIds;
    private final Interactions train;

    private SavedModel(Checkpoint checkpoint, IdMapping userIds, IdMapping itemIds, Interactions train) {
        this.checkpoint = checkpoint;
        this.userIds = userIds;
        this.itemIds = itemIds;
        this.train = train;
    }

    /**
     * Saves the model; {@code dataDir} is where the data was read from (null for the embedded
     * default), so that evaluate can find it again.
     */
    public static void save(Path file, Recommender model, Record config, Dataset data, Path dataDir, int epoch,
                            Map<String, Double> validation) throws IOException {
        ModelDefinition<?> definition = ModelRegistry.get(model.name());
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("format", "diffmm-j model");
        header.put("model", model.name());
        header.put("model_config", definition.toMap(config));
        header.put("epoch", epoch);
        header.put("validation", validation);
        Map<String, Object> dataset = new LinkedHashMap<>();
        dataset.put("name", data.name());
        dataset.put("users", data.users());
        dataset.put("items", data.items());
        dataset.put("fingerprint", data.fingerprint());
        dataset.put("path", dataDir == null ? null : dataDir.toAbsolutePath().normalize().toString());
        header.put("dataset", dataset);
        header.put("user_ids", ids(data.userIds()));
        header.put("item_ids", ids(data.itemIds()));
        header.put("train_user_ptr", encode(data.train().userPtr()));
        header.put("train_user_items", encode(data.train().userItems()));
        Map<String, org.diffmmj.tensor.Tensor> tensors = new LinkedHashMap<>();
        List<Parameter> params = new ArrayList<>(model.parameters());
        params.addAll(model.auxiliaryParameters());
        for (Parameter p : params) {
            if (tensors.put("param." + p.name(), p.value()) != null) {
                throw new IllegalStateException("two parameters are named " + p.name());
            }
        }
        try (ScoreSource scorer = model.scorer()) {
            if (scorer instanceof EmbeddingScorer embeddings) {
                header.put("scores", SCORES_EMBEDDINGS);
                tensors.put(USERS, embeddings.userEmbeddings());
                tensors.put(ITEMS, embeddings.itemEmbeddings());
            } else {
                header.put("scores", SCORES_MODEL);
            }
            new Checkpoint(header, tensors).save(file);
        }
    }

    public static SavedModel load(Path fileOrDir) throws IOException {
        Path file = fileOrDir.toFile().isDirectory() ? fileOrDir.resolve(FILE_NAME) : fileOrDir;
        Checkpoint ckpt = Checkpoint.load(file);
        try {
            Map<String, Object> h = ckpt.header();
            if (!"diffmm-j model".equals(h.get("format"))) {
                throw new Checkpoint.CheckpointException(file + ": not a saved model (format " + h.get("format") + ")");
            }
            Map<?, ?> dataset = (Map<?, ?>) h.get("dataset");
            int users = ((Number) dataset.get("users")).intValue();
            int items = ((Number) dataset.get("items")).intValue();
            IdMapping userIds = mapping(h.get("user_ids"), users);
            IdMapping itemIds = mapping(h.get("item_ids"), items);
            int[] ptr = decode((String) h.get("train_user_ptr"));
            int[] its = decode((String) h.get("train_user_items"));
            int[] pairUsers = new int[its.length];
            for (int u = 0; u < users; u++) {
                for (int k = ptr[u]; k < ptr[u + 1]; k++) {
                    pairUsers[k] = u;
                }
            }
            Interactions train = Interactions.fromPairs(users, items, pairUsers, its);
            Object scores = h.getOrDefault("scores", SCORES_EMBEDDINGS);
            if (SCORES_EMBEDDINGS.equals(scores)) {
                if (ckpt.tensor(USERS).rows() != users || ckpt.tensor(ITEMS).rows() != items) {
                    throw new Checkpoint.CheckpointException(file + ": embedding tables do not match the dataset sizes");
                }
            } else if (!SCORES_MODEL.equals(scores)) {
                throw new Checkpoint.CheckpointException(file + ": unknown score source '" + scores + "'");
            }
            return new SavedModel(ckpt, userIds, itemIds, train);
        } catch (RuntimeException e) {
            ckpt.close();
            if (e instanceof Checkpoint.CheckpointException) {
                throw e;
            }
            throw new Checkpoint.CheckpointException(file + ": inconsistent checkpoint header: " + e.getMessage());
        }
    }

    public String modelName() {
        return (String) checkpoint.header().get("model");
    }

    public Map<String, Object> header() {
        return checkpoint.header();
    }

    public String datasetFingerprint() {
        return (String) ((Map<?, ?>) checkpoint.header().get("dataset")).get("fingerprint");
    }

    /** The directory the training data came from, or null for the embedded default. */
    public Path dataDirectory() {
        Object p = ((Map<?, ?>) checkpoint.header().get("dataset")).get("path");
        return p == null ? null : Path.of((String) p);
    }

    public IdMapping userIds() {
        return userIds;
    }

    public IdMapping itemIds() {
        return itemIds;
    }

    public Interactions train() {
        return train;
    }

    /** True when the model scores by dot products of saved final embeddings (serving's fast path). */
    public boolean hasEmbeddings() {
        return SCORES_EMBEDDINGS.equals(checkpoint.header().getOrDefault("scores", SCORES_EMBEDDINGS));
    }

    /**
     * The saved final embeddings as a scorer; owned by this object (do not close it). Only for
     * models with {@link #hasEmbeddings()}.
     */
    public EmbeddingScorer embeddingScorer() {
        if (!hasEmbeddings()) {
            throw new IllegalStateException(modelName() + " does not score by embeddings; use scorer(data)");
        }
        return new EmbeddingScorer(checkpoint.tensor(USERS), checkpoint.tensor(ITEMS));
    }

    /**
     * Scores of every item for users, whatever the model: the saved embeddings where it has them
     * (do not close those), else the model rebuilt from its config and parameters on {@code data}
     * (null: the data it was trained on, read again from its recorded directory); close that one.
     */
    public ScoreSource scorer(Dataset data) throws IOException {
        if (hasEmbeddings()) {
            return embeddingScorer();
        }
        Recommender model = rebuild(data == null ? trainingData() : data);
        ScoreSource scores = model.scorer();
        return new ScoreSource() {
            @Override
            public int items() {
                return scores.items();
            }

            @Override
            public void score(int[] users, float[] out) {
                scores.score(users, out);
            }

            @Override
            public void close() {
                scores.close();
                model.close();
            }
        };
    }

    /** The model's resolved config record, as saved. */
    public Record config() {
        ModelDefinition<?> definition = ModelRegistry.get(modelName());
        Map<?, ?> saved = (Map<?, ?>) checkpoint.header().get("model_config");
        Map<String, Object> values = new LinkedHashMap<>();
        saved.forEach((k, v) -> values.put(String.valueOf(k), v));
        return definition.config(null, values);
    }

    /**
     * The model rebuilt from its registry name and saved config on {@code data} (which must be the
     * data it was trained on: the fingerprint is checked), with every saved parameter loaded.
     */
    public Recommender rebuild(Dataset data) {
        if (!data.fingerprint().equals(datasetFingerprint())) {
            throw new IllegalArgumentException("the model was trained on another dataset (fingerprint "
                    + datasetFingerprint() + ", given " + data.fingerprint() + ")");
        }
        ModelDefinition<?> definition = ModelRegistry.get(modelName());
        Recommender model = definition.create(config(), data, new Rng(0));
        try {
            List<Parameter> params = new ArrayList<>(model.parameters());
            params.addAll(model.auxiliaryParameters());
            for (Parameter p : params) {
                Tensor saved = checkpoint.tensor("param." + p.name());
                if (saved.rows() != p.value().rows() || saved.cols() != p.value().cols()) {
                    throw new Checkpoint.CheckpointException("parameter " + p.name() + " is " + saved.shape()
                            + " in the checkpoint but " + p.value().shape() + " in the rebuilt model");
                }
                p.value().copyFrom(saved);
            }
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private Dataset trainingData() throws IOException {
        Path dir = dataDirectory();
        return DatasetLoader.load(dir == null ? DefaultData.ensure() : dir);
    }

    public org.diffmmj.tensor.Tensor parameter(String name) {
        return checkpoint.tensor("param." + name);
    }

    @Override
    public void close() {
        checkpoint.close();
    }

    private static Object ids(IdMapping m) {
        if (m.isIdentity()) {
            return null;
        }
        List<String> ids = new ArrayList<>(m.size());
        for (int i = 0; i < m.size(); i++) {
            ids.add(m.externalId(i));
        }
        return ids;
    }

    private static IdMapping mapping(Object ids, int n) {
        if (ids == null) {
            return IdMapping.identity(n);
        }
        List<String> list = new ArrayList<>();
        for (Object o : (List<?>) ids) {
            list.add((String) o);
        }
        if (list.size() != n) {
            throw new Checkpoint.CheckpointException("id mapping has " + list.size() + " ids for " + n + " rows");
        }
        return IdMapping.of(list);
    }

    private static String encode(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return Base64.getEncoder().encodeToString(b.array());
    }

    private static int[] decode(String s) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(s)).order(ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }
}
