package dev.tidemark.support;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.jboss.logmanager.ExtLogRecord;

/**
 * Every log line the running application writes while it is open, as text
 * (message with its parameters, and any stack trace): to show that a secret
 * never reaches the logs.
 */
public final class LogCapture implements AutoCloseable {

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Logger root = Logger.getLogger("");
    private final Handler handler = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : formatter.formatMessage(record);
            StringBuilder line = new StringBuilder(record.getLoggerName() + " " + message);
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append('\n').append(trace);
            }
            lines.add(line.toString());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    public LogCapture() {
        handler.setLevel(Level.ALL);
        root.addHandler(handler);
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** All lines captured, one text. */
    public String text() {
        return String.join("\n", lines);
    }

    @Override
    public void close() {
        root.removeHandler(handler);
    }
}
