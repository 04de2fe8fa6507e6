namespace Diffusion.Net.Training;

/// <summary>How flow-matching training draws the time t of each example.</summary>
public enum FlowTimeDistribution
{
    /// <summary>t ~ U[0, 1], as CS180 and Liu et al.'s rectified flow train.</summary>
    Uniform,

    /// <summary>
    /// t = sigmoid(n) with n ~ N(0, 1): the logit-normal density of Esser et al. (2024, SD3), which puts more of the
    /// training on the middle of the path, where the velocity is hardest to predict, and less near either end.
    /// </summary>
    LogitNormal,
}
