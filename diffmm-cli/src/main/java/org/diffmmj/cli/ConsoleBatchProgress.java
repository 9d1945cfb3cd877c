package org.diffmmj.cli;

import java.io.PrintStream;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import org.diffmmj.train.Trainer;

/**
 * The training loop's batches on standard error: a redrawn progress bar on a terminal; in a log
 * (standard error redirected or piped, no console) one line each time another tenth is done, so
 * logs carry no carriage-return frames.
 */
final class ConsoleBatchProgress implements Trainer.BatchProgress {

    private static final int LOG_STEPS = 10;

    private final boolean terminal;
    private final PrintStream log;
    private ProgressBar bar;
    private int epoch;
    private int total;
    private int done;
    private int logged;

    ConsoleBatchProgress() {
        this(System.console() != null, System.err);
    }

    ConsoleBatchProgress(boolean terminal, PrintStream log) {
        this.terminal = terminal;
        this.log = log;
    }

    @Override
    public void start(int epoch, int batches) {
        this.epoch = epoch;
        this.total = batches;
        this.done = 0;
        this.logged = 0;
        if (terminal) {
            bar = new ProgressBarBuilder()
                    .setTaskName("epoch " + epoch)
                    .setInitialMax(batches)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new ConsoleProgressBarConsumer(log))
                    .setUpdateIntervalMillis(500)
                    .hideEta()
                    .build();
        }
    }

    @Override
    public void step() {
        done++;
        if (bar != null) {
            bar.step();
            return;
        }
        int tenths = (int) ((long) done * LOG_STEPS / Math.max(1, total));
        if (tenths > logged && done < total) {
            logged = tenths;
            log.printf("epoch %d: %d%% (%d/%d batches)%n", epoch, tenths * 100 / LOG_STEPS, done, total);
        }
    }

    @Override
    public void end() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
