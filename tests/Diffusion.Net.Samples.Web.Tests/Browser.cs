using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Diffusion.Net.Samples.Web.Tests;

/// <summary>
/// Debian's headless Chromium through its chromedriver. No browser is downloaded: when either is missing the test fails
/// and says what to install, rather than skipping where nobody looks.
/// </summary>
internal static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";
    public const string Install = "sudo apt-get install -y chromium chromium-driver";

    public static ChromeDriver Start(string userDataDir)
    {
        if (!File.Exists(ChromiumPath) || !File.Exists(DriverPath))
            throw new InvalidOperationException($"The browser test needs Debian's Chromium and its driver ({ChromiumPath}, {DriverPath}); install them with: {Install}");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        // A closed network and no display: nothing may phone home, wait for a GPU, or reuse a profile.
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            $"--user-data-dir={userDataDir}", "--window-size=1200,1600");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }
}
