package io.modbackup.sim;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/** Several lists read as one, without copying them; immutable. */
final class ConcatenatedList<T> extends AbstractList<T> implements RandomAccess {
    private final List<List<T>> parts;
    private final int[] starts;
    private final int size;

    ConcatenatedList(List<List<T>> parts) {
        this.parts = List.copyOf(parts);
        this.starts = new int[this.parts.size()];
        int at = 0;
        for (int i = 0; i < starts.length; i++) {
            starts[i] = at;
            at += this.parts.get(i).size();
        }
        this.size = at;
    }

    @Override
    public T get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(index);
        }
        int part = java.util.Arrays.binarySearch(starts, index);
        if (part < 0) {
            part = -part - 2;
        }
        // Empty parts share a start with the next one: step to the part that holds the index.
        while (index - starts[part] >= parts.get(part).size()) {
            part++;
        }
        return parts.get(part).get(index - starts[part]);
    }

    @Override
    public int size() {
        return size;
    }
}
