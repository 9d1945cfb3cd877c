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
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.ModelSpec;
import org.diffmmj.model.Recommender;

/**
 * A trained model as saved by {@code train --out}: its configuration, the dataset fingerprint,
 * the id mappings, the training interactions (to exclude seen items when recommending), every
 * parameter, and the final user and item embeddings, so serving needs no graph work.
 */
public final class SavedModel implements AutoCloseable {

    public static final String FILE_NAME = "model.ckpt";
    private static final String USERS = "final.user_embeddings";
    private static final String ITEMS = "final.item_embeddings";

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
    public static void save(Path file, Recommender model, ModelSpec spec, Dataset data, Path dataDir, int epoch,
                            Map<String, Double> validation) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("format", "diffmm-j model");
        header.put("model", spec.name());
        header.put("model_config", spec.toMap());
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
        try (EmbeddingScorer scorer = model.scorer()) {
            tensors.put(USERS, scorer.userEmbeddings());
            tensors.put(ITEMS, scorer.itemEmbeddings());
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
            if (ckpt.tensor(USERS).rows() != users || ckpt.tensor(ITEMS).rows() != items) {
                throw new Checkpoint.CheckpointException(file + ": embedding tables do not match the dataset sizes");
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

    /** A scorer over the saved final embeddings; owned by this object (do not close it). */
    public EmbeddingScorer scorer() {
        return new EmbeddingScorer(checkpoint.tensor(USERS), checkpoint.tensor(ITEMS));
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
