# plm developer recipes. `just` is optional: each recipe is one cargo command.

default:
    @just --list

# Generate a part's datasets at a scale and check their pinned hashes.
data part="part3.3" scale="smoke":
    cargo run --release -- data {{part}} --scale {{scale}}

# The test suite (what CI runs).
test:
    cargo test --workspace --locked

# Throughput benchmarks.
bench:
    cargo run --release -- bench data

# Regenerate the committed JSON Schema of suite files.
schema:
    cargo run --release -- schema > suites/schema.json
