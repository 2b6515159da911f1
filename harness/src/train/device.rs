//! Choosing where tensors live. One code path for every device: the model and trainer only see
//! a burn `Device`.

use anyhow::Result;
use burn::prelude::Device;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// Pure-Rust CPU backend (always built).
    #[default]
    Flex,
    /// GPUs (and lavapipe's software Vulkan) through cubecl's wgpu runtime; needs `--features wgpu`.
    Wgpu,
    /// NVIDIA GPUs through cubecl's CUDA runtime; needs `--features cuda`.
    Cuda,
}

impl DeviceChoice {
    pub fn name(self) -> &'static str {
        match self {
            DeviceChoice::Flex => "flex",
            DeviceChoice::Wgpu => "wgpu",
            DeviceChoice::Cuda => "cuda",
        }
    }

    /// The burn device (without autodiff), or an error saying how to build plm for it.
    pub fn device(self) -> Result<Device> {
        match self {
            DeviceChoice::Flex => Ok(Device::flex()),
            #[cfg(feature = "wgpu")]
            DeviceChoice::Wgpu => Ok(Device::wgpu(burn::prelude::DeviceKind::DefaultDevice)),
            #[cfg(feature = "cuda")]
            DeviceChoice::Cuda => Ok(Device::cuda(0)),
            #[allow(unreachable_patterns)]
            other => anyhow::bail!(
                "device `{}` is not compiled into this plm; rebuild with `--features {}`",
                other.name(),
                other.name()
            ),
        }
    }
}
