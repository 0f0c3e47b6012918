package dev.baton.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the dependency cycles of a plan: one cycle per strongly connected group of tasks,
 * the shortest through the group's first task in plan order. (Breaking it may reveal another
 * cycle in the same group; a plan with thousands of tasks must not list exponentially many.)
 * Self-dependencies and dependencies on unknown tasks are not edges here: the validator
 * reports them on their own. Iterative, so deep plans do not overflow the stack.
 *
 * <p>Every plan is checked, and nearly all have no cycle, so the work is linear in tasks plus
 * dependencies and held in a few int arrays: the graph in compressed rows, Tarjan's algorithm
 * with explicit stacks, and a breadth-first search only inside a group that has a cycle.
 */
final class Cycles {

    private Cycles() {
    }

    /** Each cycle as task ids from its first task back to it, e.g. {@code [a, b, c, a]}; in plan order. */
    static List<List<String>> find(Plan plan) {
        Map<String, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < plan.tasks().size(); i++) firstIndex.putIfAbsent(plan.tasks().get(i).id(), i);
        return find(plan, firstIndex);
    }

    /**
     * The same, given where each id first appears in the plan (the validator has that map
     * already). The graph's nodes are task positions: a repeated id's later positions stay alone.
     */
    static List<List<String>> find(Plan plan, Map<String, Integer> firstIndex) {
        List<TaskSpec> tasks = plan.tasks();
        int[][] graph = graph(tasks, firstIndex, tasks.size());

        List<int[]> groups = stronglyConnected(graph);
        if (groups.isEmpty()) return List.of();
        groups.sort(Comparator.comparingInt(group -> group[0])); // each group's first task, in plan order
        int[] groupOf = new int[graph.length];
        Arrays.fill(groupOf, -1);
        for (int g = 0; g < groups.size(); g++) {
            for (int node : groups.get(g)) groupOf[node] = g;
        }
        Search search = new Search(graph.length);
        List<List<String>> cycles = new ArrayList<>(groups.size());
        for (int[] group : groups) {
            List<String> cycle = new ArrayList<>();
            for (int node : search.shortestCycle(graph, group[0], groupOf)) cycle.add(tasks.get(node).id());
            cycles.add(cycle);
        }
        return cycles;
    }

    /**
     * Each task's edges to the tasks it depends on, in the order the plan gives them (the tasks of
     * a repeated id all add theirs to its first); a repeated edge does not change what is found.
     */
    private static int[][] graph(List<TaskSpec> tasks, Map<String, Integer> index, int n) {
        int[] count = new int[n];
        int[] from = new int[tasks.size()];
        int total = 0;
        for (int t = 0; t < tasks.size(); t++) {
            TaskSpec task = tasks.get(t);
            from[t] = index.get(task.id());
            for (String dependency : task.dependencies()) {
                Integer to = index.get(dependency);
                if (to != null && to != from[t]) {
                    count[from[t]]++;
                    total++;
                }
            }
        }
        int[][] graph = new int[n][];
        int[] filled = new int[n];
        for (int i = 0; i < n; i++) graph[i] = count[i] == 0 ? NONE : new int[count[i]];
        if (total == 0) return graph;
        for (int t = 0; t < tasks.size(); t++) {
            for (String dependency : tasks.get(t).dependencies()) {
                Integer to = index.get(dependency);
                if (to != null && to != from[t]) graph[from[t]][filled[from[t]]++] = to;
            }
        }
        return graph;
    }

    private static final int[] NONE = new int[0];

    /**
     * Tarjan's algorithm without recursion: the groups of two or more nodes, each sorted (its
     * first node is the group's first task in plan order). A node alone is no cycle (self-edges
     * are left out), and costs nothing here.
     */
    private static List<int[]> stronglyConnected(int[][] graph) {
        int n = graph.length;
        int[] order = new int[n];
        int[] low = new int[n];
        Arrays.fill(order, -1);
        boolean[] onStack = new boolean[n];
        int[] stack = new int[n];
        int stackSize = 0;
        int[] callNode = new int[n]; // the depth-first path: a node and how many of its edges were followed
        int[] callEdge = new int[n];
        List<int[]> groups = new ArrayList<>();
        int counter = 0;
        for (int root = 0; root < n; root++) {
            if (order[root] != -1) continue;
            int depth = 0;
            order[root] = low[root] = counter++;
            stack[stackSize++] = root;
            onStack[root] = true;
            callNode[0] = root;
            callEdge[0] = 0;
            while (depth >= 0) {
                int node = callNode[depth];
                int[] edges = graph[node];
                if (callEdge[depth] < edges.length) {
                    int next = edges[callEdge[depth]++];
                    if (order[next] == -1) {
                        order[next] = low[next] = counter++;
                        stack[stackSize++] = next;
                        onStack[next] = true;
                        depth++;
                        callNode[depth] = next;
                        callEdge[depth] = 0;
                    } else if (onStack[next]) {
                        low[node] = Math.min(low[node], order[next]);
                    }
                    continue;
                }
                depth--;
                if (depth >= 0) {
                    int parent = callNode[depth];
                    low[parent] = Math.min(low[parent], low[node]);
                }
                if (low[node] == order[node]) {
                    int bottom = stackSize;
                    do {
                        bottom--;
                        onStack[stack[bottom]] = false;
                    } while (stack[bottom] != node);
                    if (stackSize - bottom > 1) {
                        int[] group = Arrays.copyOfRange(stack, bottom, stackSize);
                        Arrays.sort(group);
                        groups.add(group);
                    }
                    stackSize = bottom;
                }
            }
        }
        return groups;
    }

    /** A breadth-first search whose arrays serve every group in turn. */
    private static final class Search {
        private final int[] cameFrom;
        private final int[] queue;

        Search(int n) {
            cameFrom = new int[n];
            Arrays.fill(cameFrom, -1);
            queue = new int[n];
        }

        /** From {@code start} back to itself, staying inside its group: {@code [start, ..., start]}. */
        int[] shortestCycle(int[][] graph, int start, int[] groupOf) {
            int group = groupOf[start];
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            try {
                while (head < tail) {
                    int node = queue[head++];
                    for (int next : graph[node]) {
                        if (groupOf[next] != group) continue;
                        if (next == start) return path(start, node);
                        if (cameFrom[next] == -1) {
                            cameFrom[next] = node;
                            queue[tail++] = next;
                        }
                    }
                }
            } finally {
                for (int i = 0; i < tail; i++) cameFrom[queue[i]] = -1;
            }
            throw new IllegalStateException("a strongly connected group without a cycle through " + start);
        }

        private int[] path(int start, int last) {
            int length = 2;
            for (int at = last; at != start; at = cameFrom[at]) length++;
            int[] path = new int[length];
            path[0] = start;
            path[length - 1] = start;
            int i = length - 2;
            for (int at = last; at != start; at = cameFrom[at]) path[i--] = at;
            return path;
        }
    }
}
