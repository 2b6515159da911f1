# plm developer recipes. `just` is optional: each recipe is one cargo command.

default:
    @just --list

# Reproduce a part (e.g. part3) at a scale: cpu (default, about an hour), smoke, or paper.
reproduce part scale="cpu":
    cargo run --release -- reproduce {{part}} --scale {{scale}}

# The planned runs of a part at a scale (ids for `plm run --id`), then `plm collect`.
plan part scale="cpu":
    cargo run --release -- plan {{part}} --scale {{scale}}

# Judge the claims and render the report from the runs finished so far.
collect part scale="cpu":
    cargo run --release -- collect {{part}} --scale {{scale}}

# Generate a part's datasets at a scale and check their pinned hashes.
data part="part3.3" scale="smoke":
    cargo run --release -- data {{part}} --scale {{scale}}

# The test suite (what CI runs).
test:
    cargo test --workspace --locked

# Throughput: data generation, and training side by side with PyTorch (installs torch from pip):
# the default shapes, small shapes, and the models of the Part 3.3 and Part 1 cpu scales.
bench:
    cargo build --release
    target/release/plm bench data
    python3 -m pip install -q -r bench/requirements.txt
    python3 bench/torch_train.py --plm target/release/plm
    python3 bench/torch_train.py --plm target/release/plm -- --shapes 1x64,2x64,2x128 --context 128 --batch 16 --vocab 256
    python3 bench/torch_train.py --plm target/release/plm -- --suite part3.3 --scale cpu
    python3 bench/torch_train.py --plm target/release/plm -- --suite part1 --scale cpu

# Regenerate the committed JSON Schema of suite files.
schema:
    cargo run --release -- schema > suites/schema.json
