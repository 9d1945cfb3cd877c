package org.diffmmj.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import org.diffmmj.train.Trainer;

/** The training loop's batches as a progress bar on standard error. */
final class ConsoleBatchProgress implements Trainer.BatchProgress {

    private ProgressBar bar;

    @Override
    public void start(int epoch, int batches) {
        bar = new ProgressBarBuilder()
                .setTaskName("epoch " + epoch)
                .setInitialMax(batches)
                .setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(500)
                .hideEta()
                .build();
    }

    @Override
    public void step() {
        bar.step();
    }

    @Override
    public void end() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
