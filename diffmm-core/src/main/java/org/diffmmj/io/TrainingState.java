package org.diffmmj.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.optim.Adam;
import org.diffmmj.tensor.Tensor;

/**
 * Everything needed to continue a run after its last completed epoch: every parameter, every
 * optimiser's moments and step count, and the epoch history. Random streams need no saving:
 * each epoch's stream is split from the run's seed, so the trainer replays the splits.
 */
public final class TrainingState {

    public static final String FILE_NAME = "training-state.ckpt";
    private static final String FORMAT = "diffmm-j training state";

    private TrainingState() {
    }

    /** What a resumed run starts from. */
    public record Restored(int lastEpoch, Map<String, Object> history) {
    }

    /** The last completed epoch (0-based) of a saved state. */
    public static int lastEpoch(Path file) throws IOException {
        try (Checkpoint ckpt = Checkpoint.load(file)) {
            if (!FORMAT.equals(ckpt.header().get("format"))) {
                throw new Checkpoint.CheckpointException(file + ": not a training state");
            }
            return ((Number) ckpt.header().get("epoch")).intValue();
        }
    }

    /**
     * The saved model a state goes with: its file name and SHA-256 ({@link CheckpointPair}); an
     * empty map when none was saved yet, null for a state kept without one (an older version's).
     */
    public static Map<String, Object> model(Path file) throws IOException {
        try (Checkpoint ckpt = Checkpoint.load(file)) {
            if (!FORMAT.equals(ckpt.header().get("format"))) {
                throw new Checkpoint.CheckpointException(file + ": not a training state");
            }
            if (!(ckpt.header().get("model") instanceof Map<?, ?> map)) {
                return null;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), v));
            return out;
        }
    }

    /** The run config a state was saved with (empty for a state saved without one). */
    public static Map<String, Object> config(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new Checkpoint.CheckpointException(file + ": no training state to resume from");
        }
        try (Checkpoint ckpt = Checkpoint.load(file)) {
            if (!FORMAT.equals(ckpt.header().get("format"))) {
                throw new Checkpoint.CheckpointException(file + ": not a training state");
            }
            Object config = ckpt.header().get("config");
            if (!(config instanceof Map<?, ?> map)) {
                return Map.of();
            }
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), v));
            return out;
        }
    }

    /** {@code config} is the run's resolved config (model name and keys), kept so a resume rebuilds the run. */
    public static void save(Path file, int epoch, List<Parameter> params, List<Adam> optimizers,
                            Map<String, Object> history, Map<String, Object> config) throws IOException {
        save(file, epoch, params, optimizers, history, config, null);
    }

    /**
     * As above, plus {@code model}: which saved model goes with this state (see {@link CheckpointPair}:
     * an empty map when none was saved yet; null when the state is kept without a model).
     */
    public static void save(Path file, int epoch, List<Parameter> params, List<Adam> optimizers,
                            Map<String, Object> history, Map<String, Object> config, Map<String, Object> model)
            throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Parameter p : params) {
            tensors.put("param." + p.name(), p.value());
        }
        Map<String, Object> steps = new LinkedHashMap<>();
        for (int k = 0; k < optimizers.size(); k++) {
            Adam adam = optimizers.get(k);
            steps.put(Integer.toString(k), adam.steps());
            for (Parameter p : adam.parameters()) {
                tensors.put("adam" + k + ".m." + p.name(), adam.m(p));
                tensors.put("adam" + k + ".v." + p.name(), adam.v(p));
            }
        }
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("format", FORMAT);
        header.put("epoch", epoch);
        header.put("config", config);
        header.put("optimizer_steps", steps);
        header.put("history", history);
        if (model != null) {
            header.put("model", model);
        }
        // Not closed: the tensors belong to the model and optimisers.
        new Checkpoint(header, tensors).save(file);
    }

    /** Loads the state into the given parameters and optimisers, checking that every name matches. */
    public static Restored load(Path file, List<Parameter> params, List<Adam> optimizers) throws IOException {
        if (!Files.exists(file)) {
            throw new Checkpoint.CheckpointException(file + ": no training state to resume from");
        }
        try (Checkpoint ckpt = Checkpoint.load(file)) {
            if (!FORMAT.equals(ckpt.header().get("format"))) {
                throw new Checkpoint.CheckpointException(file + ": not a training state");
            }
            // Check everything before changing anything: a mismatch leaves the model untouched.
            for (Parameter p : params) {
                requireShape(file, ckpt.tensor("param." + p.name()), p.value(), p.name());
            }
            for (int k = 0; k < optimizers.size(); k++) {
                for (Parameter p : optimizers.get(k).parameters()) {
                    requireShape(file, ckpt.tensor("adam" + k + ".m." + p.name()), p.value(), p.name());
                    requireShape(file, ckpt.tensor("adam" + k + ".v." + p.name()), p.value(), p.name());
                }
            }
            Map<?, ?> steps = (Map<?, ?>) ckpt.header().get("optimizer_steps");
            for (Parameter p : params) {
                p.value().copyFrom(ckpt.tensor("param." + p.name()));
            }
            for (int k = 0; k < optimizers.size(); k++) {
                Adam adam = optimizers.get(k);
                for (Parameter p : adam.parameters()) {
                    adam.m(p).copyFrom(ckpt.tensor("adam" + k + ".m." + p.name()));
                    adam.v(p).copyFrom(ckpt.tensor("adam" + k + ".v." + p.name()));
                }
                adam.setSteps(((Number) steps.get(Integer.toString(k))).longValue());
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> history = (Map<String, Object>) ckpt.header().get("history");
            return new Restored(((Number) ckpt.header().get("epoch")).intValue(), history);
        }
    }

    private static void requireShape(Path file, Tensor saved, Tensor current, String name) {
        if (saved.rows() != current.rows() || saved.cols() != current.cols()) {
            throw new Checkpoint.CheckpointException(file + ": " + name + " is " + saved.shape() + " in the saved state but "
                    + current.shape() + " in this model (different data or settings?)");
        }
    }
}
