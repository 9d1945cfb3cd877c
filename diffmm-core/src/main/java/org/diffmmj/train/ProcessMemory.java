package org.diffmmj.train;

import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory, from /proc/self/status (Linux); −1 where that is unavailable. */
public final class ProcessMemory {

    private ProcessMemory() {
    }

    /** Resident set now, MB. */
    public static long rssMb() {
        return field("VmRSS:");
    }

    /** Highest resident set so far, MB. */
    public static long peakRssMb() {
        return field("VmHWM:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (Exception ignored) {
            // not Linux: the figure is simply absent
        }
        return -1;
    }
}
