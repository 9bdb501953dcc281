package io.rafty.check;

/** What the store answered to a {@link KvInput} that completed with a definite response. */
public sealed interface KvOutput {

    /** A short readable form, e.g. {@code "v3"}, {@code absent}, {@code compare failed}. */
    String describe();

    /** A put was applied. */
    record PutOk() implements KvOutput {
        @Override
        public String describe() {
            return "ok";
        }
    }

    /** A get observed {@code value}; {@code null} means the key was absent. */
    record GetResult(String value) implements KvOutput {
        @Override
        public String describe() {
            return KvInput.quote(value);
        }
    }

    /** A delete was applied; {@code found} says whether the key existed (false = 404 not found). */
    record DeleteResult(boolean found) implements KvOutput {
        @Override
        public String describe() {
            return found ? "deleted" : "not found";
        }
    }

    /** A compare-and-set was evaluated; {@code swapped} is false for a 412 compare_failed. */
    record CasResult(boolean swapped) implements KvOutput {
        @Override
        public String describe() {
            return swapped ? "ok" : "compare failed";
        }
    }

    static KvOutput putOk() {
        return new PutOk();
    }

    static KvOutput value(String value) {
        return new GetResult(value);
    }

    static KvOutput absent() {
        return new GetResult(null);
    }

    static KvOutput deleted() {
        return new DeleteResult(true);
    }

    static KvOutput notFound() {
        return new DeleteResult(false);
    }

    static KvOutput casOk() {
        return new CasResult(true);
    }

    static KvOutput casFailed() {
        return new CasResult(false);
    }
}
