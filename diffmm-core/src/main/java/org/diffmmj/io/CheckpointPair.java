package org.diffmmj.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

import org.diffmmj.util.AtomicFiles;

/**
 * A run's training state and its validation-selected model, written so that a crash at any
 * instant leaves either the previous consistent pair or the new one.
 *
 * <p>Each file alone is already written atomically (temporary sibling, fsync, rename). The pair
 * is made atomic by a commit record: the training state names the model it goes with by the
 * SHA-256 the model file ends with. An epoch that selects a new model commits in three steps:
 * <ol>
 *   <li>the new model is written whole to {@code .model.ckpt.pending} (the old model.ckpt stays);</li>
 *   <li>the new state, naming the pending model's digest, replaces the old one: the commit point;</li>
 *   <li>the pending model is renamed over model.ckpt.</li>
 * </ol>
 * A crash before step 2 leaves the old state and the old model (the pending file is dropped on the
 * next start); a crash between 2 and 3 leaves the new state, whose model is the pending file, and
 * {@link #recover} finishes the rename (roll forward). An epoch that selects no new model only
 * replaces the state, which names the same model as before.
 *
 * <p>Why not one directory swap (build the new run directory beside the old, rename it over):
 * the run directory also holds files that people and scripts read while it trains
 * (metrics.json, metrics.jsonl, logs tailing it), a directory cannot be renamed over a non-empty one
 * atomically on POSIX, and copying a multi-hundred-megabyte state every epoch would double the
 * epoch's I/O. The commit record costs one small header field and one rename.
 */
public final class CheckpointPair {

    /** Writes one checkpoint file (whole, atomically) to the path given. */
    @FunctionalInterface
    public interface ModelWriter {
        void write(Path file) throws IOException;
    }

    /** Writes the training state to the path given, naming the model it goes with. */
    @FunctionalInterface
    public interface StateWriter {
        void write(Path file, Map<String, Object> model) throws IOException;
    }

    /** For tests: called at each step of a commit, so a crash can be simulated there. */
    @FunctionalInterface
    interface Steps {
        void reached(String step) throws IOException;
    }

    private final Path stateFile;
    private final Path modelFile;
    private final Steps steps;
    /** The model the last committed state names (empty: none yet). */
    private Map<String, Object> committed = Map.of();

    public CheckpointPair(Path stateFile, Path modelFile) {
        this(stateFile, modelFile, step -> { });
    }

    CheckpointPair(Path stateFile, Path modelFile, Steps steps) {
        this.stateFile = stateFile;
        this.modelFile = modelFile;
        this.steps = steps;
    }

    /** Where a model waits between being written and its state being committed. */
    public static Path pendingFile(Path modelFile) {
        return modelFile.resolveSibling("." + modelFile.getFileName() + ".pending");
    }

    /**
     * Commits one epoch: {@code model} (null when this epoch selects no new model) and the state,
     * in the order above.
     */
    public void commit(ModelWriter model, StateWriter state) throws IOException {
        if (model == null) {
            state.write(stateFile, committed);
            steps.reached("state committed");
            return;
        }
        Path pending = pendingFile(modelFile);
        model.write(pending);
        Map<String, Object> next = new LinkedHashMap<>();
        next.put("file", modelFile.getFileName().toString());
        next.put("sha256", Checkpoint.storedDigest(pending));
        steps.reached("model written");
        state.write(stateFile, next);
        committed = next;
        steps.reached("state committed");
        Files.move(pending, modelFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        AtomicFiles.syncDirectory(modelFile.toAbsolutePath().getParent());
        steps.reached("model renamed");
    }

    /**
     * Brings the pair back to a consistent state after a crash, before a resume reads it: a
     * pending model the state names is renamed into place, any other pending model is dropped,
     * and a model file that is not the one the state names is an error (the directory was changed
     * by hand). A state kept without a model (an older version's) is left as it is.
     */
    public void recover() throws IOException {
        Path pending = pendingFile(modelFile);
        Map<String, Object> named = Files.exists(stateFile) ? TrainingState.model(stateFile) : null;
        if (named == null || named.isEmpty()) {
            Files.deleteIfExists(pending);
            committed = named == null ? Map.of() : named;
            return;
        }
        String digest = String.valueOf(named.get("sha256"));
        if (Files.exists(modelFile) && digest.equals(Checkpoint.storedDigest(modelFile))) {
            Files.deleteIfExists(pending);
        } else if (Files.exists(pending) && digest.equals(Checkpoint.storedDigest(pending))
                && Checkpoint.verify(pending)) {
            Files.move(pending, modelFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            AtomicFiles.syncDirectory(modelFile.toAbsolutePath().getParent());
        } else {
            throw new Checkpoint.CheckpointException(modelFile + " is not the model the training state " + stateFile
                    + " goes with (sha256 " + digest + "): the run directory was changed outside 'train'; "
                    + "restore that model.ckpt or start the run again with --force");
        }
        committed = named;
    }
}
