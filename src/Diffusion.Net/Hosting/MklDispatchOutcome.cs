namespace Diffusion.Net.Hosting;

/// <summary>What <see cref="MklDispatch.IgnoreCpuVendor"/> found and did.</summary>
public enum MklDispatchOutcome
{
    /// <summary>MKL will choose its kernels by instruction set alone from its first call on.</summary>
    Applied,

    /// <summary>The CPU is an Intel one, where MKL already chooses by instruction set: nothing was changed.</summary>
    IntelCpu,

    /// <summary>MKL had already decided in this process (a float32 matrix product ran before the call): nothing was changed.</summary>
    AlreadyChosen,

    /// <summary>Not Linux on x64, or the libtorch in this process holds no MKL routine of the form checked: nothing was changed.</summary>
    NotSupported,
}
