package org.diffmmj.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.tensor.Tensor;

/**
 * The model and the training state committed together: a crash at every step of a commit
 * (simulated by throwing there) leaves, after {@link CheckpointPair#recover}, either the previous
 * pair or the new one, each model the one its state names.
 */
class CheckpointPairTest {

    @TempDir
    Path dir;

    private static final class Crash extends IOException {
        Crash(String at) {
            super("simulated crash at " + at);
        }
    }

    private Path state() {
        return dir.resolve("training-state.ckpt");
    }

    private Path model() {
        return dir.resolve("model.ckpt");
    }

    private static void writeModel(Path file, int generation) throws IOException {
        try (Checkpoint c = new Checkpoint(Map.of("generation", generation), Map.of("w", Tensor.of(1, 2, generation, 1)))) {
            c.save(file);
        }
    }

    private static CheckpointPair.StateWriter state(int epoch) {
        return (file, model) -> TrainingState.save(file, epoch, List.of(), List.of(), Map.of("epochs", List.of()),
                Map.of(), model);
    }

    private static int generation(Path file) throws IOException {
        try (Checkpoint c = Checkpoint.load(file)) {
            return ((Number) c.header().get("generation")).intValue();
        }
    }

    private static int epoch(Path stateFile) throws IOException {
        return TrainingState.lastEpoch(stateFile);
    }

    /** The state names exactly the model file there. */
    private void assertConsistent() throws IOException {
        assertThat(TrainingState.model(state()).get("sha256")).isEqualTo(Checkpoint.storedDigest(model()));
        assertThat(CheckpointPair.pendingFile(model())).doesNotExist();
    }

    /** Epoch 0 committed with model generation 1, then epoch 1 (generation 2) crashes at {@code step}. */
    private void crashAt(String step) throws IOException {
        new CheckpointPair(state(), model()).commit(f -> writeModel(f, 1), state(0));
        CheckpointPair crashing = new CheckpointPair(state(), model(), reached -> {
            if (reached.equals(step)) {
                throw new Crash(step);
            }
        });
        assertThatThrownBy(() -> crashing.commit(f -> writeModel(f, 2), state(1))).isInstanceOf(Crash.class);
    }

    @Test
    void aCrashBeforeTheStateIsCommittedLeavesThePreviousPair() throws IOException {
        crashAt("model written");
        assertThat(CheckpointPair.pendingFile(model())).exists(); // the new model, not yet committed
        new CheckpointPair(state(), model()).recover();
        assertConsistent();
        assertThat(epoch(state())).isZero();
        assertThat(generation(model())).isEqualTo(1);
    }

    @Test
    void aCrashAfterTheStateIsCommittedRollsTheModelForward() throws IOException {
        crashAt("state committed");
        assertThat(generation(model())).isEqualTo(1); // old model, new state: inconsistent until recovered
        new CheckpointPair(state(), model()).recover();
        assertConsistent();
        assertThat(epoch(state())).isEqualTo(1);
        assertThat(generation(model())).isEqualTo(2);
    }

    @Test
    void aCrashWhileWritingEitherFileLeavesThePreviousPair() throws IOException {
        new CheckpointPair(state(), model()).commit(f -> writeModel(f, 1), state(0));
        assertThatThrownBy(() -> new CheckpointPair(state(), model()).commit(f -> {
            throw new Crash("model write");
        }, state(1))).isInstanceOf(Crash.class);
        assertThatThrownBy(() -> new CheckpointPair(state(), model()).commit(f -> writeModel(f, 2), (f, m) -> {
            org.diffmmj.util.AtomicFiles.write(f, out -> {
                out.write(new byte[100]);
                throw new Crash("state write");
            });
        })).isInstanceOf(IOException.class).hasMessageContaining("state write");
        new CheckpointPair(state(), model()).recover();
        assertConsistent();
        assertThat(epoch(state())).isZero();
        assertThat(generation(model())).isEqualTo(1);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("model.ckpt",
                    "training-state.ckpt");
        }
    }

    @Test
    void anEpochWithoutANewModelKeepsNamingTheLastOne() throws IOException {
        CheckpointPair pair = new CheckpointPair(state(), model());
        pair.commit(null, state(0));
        assertThat(TrainingState.model(state())).isEmpty(); // no model yet
        pair.commit(f -> writeModel(f, 1), state(1));
        pair.commit(null, state(2));
        assertConsistent();
        assertThat(epoch(state())).isEqualTo(2);
        // A resumed run (a new pair, recovered) goes on naming the same model.
        CheckpointPair resumed = new CheckpointPair(state(), model());
        resumed.recover();
        resumed.commit(null, state(3));
        assertConsistent();
    }

    @Test
    void aModelReplacedByHandIsRefusedOnRecovery() throws IOException {
        new CheckpointPair(state(), model()).commit(f -> writeModel(f, 1), state(0));
        writeModel(model(), 7);
        assertThatThrownBy(() -> new CheckpointPair(state(), model()).recover())
                .isInstanceOf(Checkpoint.CheckpointException.class)
                .hasMessageContaining("is not the model the training state").hasMessageContaining("--force");
    }
}
