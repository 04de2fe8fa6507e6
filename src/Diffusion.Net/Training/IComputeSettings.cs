namespace Diffusion.Net.Training;

/// <summary>
/// A network whose arithmetic depends on settings outside its weights, such as a memory layout: two runs that differ in
/// them compute the same function with other rounding. <see cref="DiffusionTrainer"/> records the settings in every
/// checkpoint and warns when a resume changes them, because the resumed run then stays correct but is no longer
/// bit-identical to an uninterrupted one.
/// </summary>
public interface IComputeSettings
{
    /// <summary>A short, stable description of the settings (e.g. <c>layout=NHWC</c>).</summary>
    string ComputeSettings { get; }
}
