package org.legoos.eval.micro;

import org.legoos.eval.Progress;
import java.util.ArrayList;
import java.util.List;

/** A {@link Progress} that keeps every report, for tests. Not thread-safe (drivers report on their own thread). */
final class RecordingProgress implements Progress {
    record Step(String what, int done, int total) {
    }

    final List<Step> steps = new ArrayList<>();

    @Override
    public void step(String what, int done, int total) {
        steps.add(new Step(what, done, total));
    }
}
