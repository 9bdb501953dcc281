package io.rafty.node;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects the records one java.util.logging logger publishes at or above a level, while open. */
final class LogCapture extends Handler implements AutoCloseable {

    final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger logger;
    private final Level threshold;

    LogCapture(String loggerName, Level threshold) {
        this.logger = Logger.getLogger(loggerName);
        this.threshold = threshold;
        logger.addHandler(this);
    }

    @Override
    public void publish(LogRecord record) {
        if (record.getLevel().intValue() >= threshold.intValue()) {
            records.add(record);
        }
    }

    List<String> messages() {
        return records.stream().map(LogCapture::describe).toList();
    }

    static String describe(LogRecord record) {
        StringBuilder out = new StringBuilder(record.getLevel() + " " + record.getMessage());
        if (record.getThrown() != null) {
            out.append(" [").append(record.getThrown()).append(']');
            for (StackTraceElement frame : record.getThrown().getStackTrace()) {
                out.append("\n    at ").append(frame);
            }
        }
        return out.toString();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
