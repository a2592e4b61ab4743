package dev.tidemark.change;


/** One applied step: the state before (null if never seen) and after, and the change that made it. */
public record Transition(StoredState previous, StoredState next, ChangeEnvelope change, OrderingDecision decision) {
}
