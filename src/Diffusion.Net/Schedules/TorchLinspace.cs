namespace Diffusion.Net.Schedules;

/// <summary>
/// <c>torch.linspace(start, end, steps, dtype=torch.float32)</c> on the CPU, bit for bit as PyTorch 1.13's AVX2 kernel
/// computes it (the build diffusers' fixtures and reference runs here use): the first half counts up from start and the
/// second half down from end, each vector of 8 lanes starts from a fused multiply-add and adds i·step lane by lane,
/// in blocks of two vectors, and the tail is scalar with a fused multiply-add. Checked against that build on the
/// fixtures' schedules and on random ranges.
/// </summary>
internal static class TorchLinspace
{
    private const int Lanes = 8;

    public static float[] Float32(double start, double end, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var values = new float[steps];
        float s = (float)start, e = (float)end;
        if (steps == 1)
        {
            values[0] = s;
            return values;
        }
        float step = (e - s) / (steps - 1);
        int half = steps / 2;
        float At(int index) => index < half ? MathF.FusedMultiplyAdd(step, index, s) : MathF.FusedMultiplyAdd(-step, steps - index - 1, e);
        int vectorEnd = steps / (2 * Lanes) * (2 * Lanes);
        int i = 0;
        for (; i < vectorEnd; i += Lanes)
        {
            float baseValue = At(i);
            values[i] = baseValue;
            for (int lane = 1; lane < Lanes; lane++)
            {
                float offset = lane * step;
                values[i + lane] = baseValue + offset;
            }
        }
        for (; i < steps; i++) values[i] = At(i);
        return values;
    }
}
