import KhataCore
