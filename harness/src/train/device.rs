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

    /// Whether this binary was built with the device's cargo feature; if not, an error saying
    /// how to build it.
    pub fn check_compiled(self) -> Result<()> {
        let compiled = match self {
            DeviceChoice::Flex => true,
            DeviceChoice::Wgpu => cfg!(feature = "wgpu"),
            DeviceChoice::Cuda => cfg!(feature = "cuda"),
        };
        anyhow::ensure!(
            compiled,
            "device `{}` is not compiled into this plm; rebuild with `--features {}`",
            self.name(),
            self.name()
        );
        Ok(())
    }

    /// The burn device (without autodiff), or an error saying how to build plm for it.
    pub fn device(self) -> Result<Device> {
        self.check_compiled()?;
        match self {
            #[cfg(feature = "wgpu")]
            DeviceChoice::Wgpu => Ok(Device::wgpu(burn::prelude::DeviceKind::DefaultDevice)),
            #[cfg(feature = "cuda")]
            DeviceChoice::Cuda => Ok(Device::cuda(0)),
            DeviceChoice::Flex => Ok(Device::flex()),
            #[allow(unreachable_patterns)]
            other => unreachable!("`{}` passed check_compiled", other.name()),
        }
    }
}
