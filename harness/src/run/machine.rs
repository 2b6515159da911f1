//! Which CPU a run trained on, as far as its bits go. Training is bit-exact at one thread on one
//! kind of CPU; on another, matrix products take other paths — gemm (under burn's CPU backend
//! and plm's kernels) picks its microkernels by instruction set (AVX-512, AVX2) and its blocking
//! by cache size, and both change the order of a sum. A virtual machine often reports only a
//! family name ("AMD EPYC") for CPUs that train to other bits, so the description carries the
//! instruction set and the cache sizes too; `plm verify` compares bits only where it matches.

/// This CPU: its model name, instruction set and cache sizes (`None` off Linux).
pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let cache = |index: u8| {
        std::fs::read_to_string(format!(
            "/sys/devices/system/cpu/cpu0/cache/index{index}/size"
        ))
        .ok()
    };
    describe(&info, cache(2).as_deref(), cache(3).as_deref())
}

/// `cpuinfo`'s first model name with the widest vector instruction set gemm uses and the L2 and
/// L3 sizes (sysfs's `size` files): `AMD EPYC (avx2+fma, L2 512K, L3 32768K)`.
fn describe(cpuinfo: &str, l2: Option<&str>, l3: Option<&str>) -> Option<String> {
    let field = |name: &str| {
        cpuinfo.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim())
        })
    };
    let name = field("model name")?;
    let flags: Vec<&str> = field("flags").unwrap_or("").split_whitespace().collect();
    let has = |all: &[&str]| all.iter().all(|f| flags.contains(f));
    let isa = if has(&["avx512f", "avx512vl", "avx512dq", "avx512bw"]) {
        "avx512"
    } else if has(&["avx2", "fma"]) {
        "avx2+fma"
    } else {
        "baseline"
    };
    let size = |level: &str, size: Option<&str>| {
        size.map(|s| format!(", {level} {}", s.trim()))
            .unwrap_or_default()
    };
    Some(format!(
        "{name} ({isa}{}{})",
        size("L2", l2),
        size("L3", l3)
    ))
}

#[cfg(test)]
mod tests {
    use super::describe;

    const AVX2: &str = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n\
                        flags\t\t: fpu sse2 avx avx2 fma bmi2\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\n";

    #[test]
    fn the_same_model_name_on_other_vector_units_or_caches_is_another_cpu() {
        let here = describe(AVX2, Some("512K\n"), Some("32768K\n")).unwrap();
        assert_eq!(here, "AMD EPYC (avx2+fma, L2 512K, L3 32768K)");
        let wider = AVX2.replace("fma bmi2", "fma avx512f avx512vl avx512dq avx512bw");
        let wider = describe(&wider, Some("512K"), Some("32768K")).unwrap();
        assert_eq!(wider, "AMD EPYC (avx512, L2 512K, L3 32768K)");
        let bigger = describe(AVX2, Some("1024K"), Some("32768K")).unwrap();
        assert_ne!(here, bigger);
        assert_eq!(
            describe("model name : X\n", None, None).as_deref(),
            Some("X (baseline)")
        );
        assert_eq!(describe("flags : avx2\n", None, None), None);
    }
}
