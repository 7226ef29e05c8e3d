"""Tools and platforms: the model trade-off explorer (quality, latency, cost, where data goes) and FAISS next to a real
vector database, plus where the frameworks and tools of the AI toolbox fit in the lifecycle."""
